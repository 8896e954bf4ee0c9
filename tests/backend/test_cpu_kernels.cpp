// tests/backend/test_cpu_kernels.cpp — the CPU Backend's kernels against naive loops.
//
// Every test goes through gradlab::backend(Device::CPU), builds Views by hand (shape +
// element strides, including stride-0 broadcasts, permutations and slices) over plain
// std::vector buffers, and compares with a reference written as the obvious loop over
// multi-indices in double precision. Float kernels run for float and double. Random
// inputs come from a tiny LCG so the data is identical natively and in WASM.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "gradlab/backend.h"
#include "gradlab/error.h"
#include "gradlab/gemm.h"

using namespace gradlab;

namespace {

using Dims = std::vector<int64_t>;

Backend& cpu() { return backend(Device::CPU); }

template <class T>
DType dtype_of();
template <>
DType dtype_of<float>() {
  return DType::F32;
}
template <>
DType dtype_of<double>() {
  return DType::F64;
}
template <>
DType dtype_of<int64_t>() {
  return DType::I64;
}

// Relative tolerance for one elementwise result in T (a few ulps).
template <class T>
double rtol() {
  return std::is_same<T, float>::value ? 4e-6 : 1e-13;
}

struct Lcg {
  uint64_t state;
  explicit Lcg(uint64_t seed) : state(seed * 2654435761u + 1) {}
  double uniform(double lo, double hi) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (hi - lo) * static_cast<double>(state >> 11) * 0x1.0p-53;
  }
};

template <class T>
std::vector<T> random_vector(size_t n, double lo, double hi, uint64_t seed) {
  Lcg rng(seed);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(rng.uniform(lo, hi));
  return v;
}

Dims contiguous_strides(const Dims& shape) {
  Dims s(shape.size());
  int64_t acc = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

int64_t product(const Dims& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

template <class T>
View view_of(std::vector<T>& buf, const Dims& shape, Dims strides = {}, int64_t offset = 0) {
  if (strides.empty()) strides = contiguous_strides(shape);
  View v;
  v.data = buf.data() + offset;
  v.dtype = dtype_of<T>();
  v.ndim = static_cast<int>(shape.size());
  for (int d = 0; d < v.ndim; ++d) {
    v.shape[d] = shape[d];
    v.strides[d] = strides[d];
  }
  return v;
}

// The strides of a view with logical dim d = storage dim perm[d] of a contiguous
// storage of shape storage_shape.
Dims permuted_strides(const Dims& storage_shape, const std::vector<int>& perm) {
  const Dims base = contiguous_strides(storage_shape);
  Dims s;
  for (int p : perm) s.push_back(base[p]);
  return s;
}

template <class T>
T& at(const View& v, const Dims& index) {
  int64_t off = 0;
  for (int d = 0; d < v.ndim; ++d) off += index[d] * v.strides[d];
  return static_cast<T*>(v.data)[off];
}

void for_each_index(const Dims& shape, const std::function<void(const Dims&)>& body) {
  if (product(shape) == 0) return;
  Dims index(shape.size(), 0);
  while (true) {
    body(index);
    int d = static_cast<int>(shape.size()) - 1;
    for (; d >= 0; --d) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

bool close(double got, double want, double tol) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  return std::fabs(got - want) <= tol * std::fabs(want) + 1e-300;
}

// ---- unary / binary tables: independent double-precision references ------------

// One row per row of GRADLAB_UNARY_OPS (gradlab/unary_ops.h); the test below fails when an op
// has no row or two. Names come from the list (unary_op_name).
struct UnaryCase {
  UnaryOp op;
  double lo, hi, param;
  double (*ref)(double x, double p);
};

const std::vector<UnaryCase>& unary_cases() {
  static const std::vector<UnaryCase> cases = {
      {UnaryOp::Neg, -3, 3, 0, [](double x, double) { return -x; }},
      {UnaryOp::Exp, -5, 5, 0, [](double x, double) { return std::exp(x); }},
      {UnaryOp::Log, 0.05, 5, 0, [](double x, double) { return std::log(x); }},
      {UnaryOp::Sqrt, 0, 5, 0, [](double x, double) { return std::sqrt(x); }},
      {UnaryOp::Abs, -3, 3, 0, [](double x, double) { return std::fabs(x); }},
      {UnaryOp::Sign, -3, 3, 0, [](double x, double) { return x > 0   ? 1.0
                                                              : x < 0 ? -1.0
                                                                      : 0.0; }},
      {UnaryOp::Tanh, -4, 4, 0, [](double x, double) { return std::tanh(x); }},
      {UnaryOp::Sigmoid, -30, 30, 0, [](double x, double) { return 1.0 / (1.0 + std::exp(-x)); }},
      {UnaryOp::Relu, -3, 3, 0, [](double x, double) { return x > 0 ? x : 0.0; }},
      {UnaryOp::Step, -3, 3, 0, [](double x, double) { return x > 0 ? 1.0 : 0.0; }},
      {UnaryOp::Erf, -3, 3, 0, [](double x, double) { return std::erf(x); }},
      {UnaryOp::Sin, -4, 4, 0, [](double x, double) { return std::sin(x); }},
      {UnaryOp::Cos, -4, 4, 0, [](double x, double) { return std::cos(x); }},
      {UnaryOp::Square, -3, 3, 0, [](double x, double) { return x * x; }},
      {UnaryOp::Reciprocal, 0.2, 4, 0, [](double x, double) { return 1.0 / x; }},
      {UnaryOp::PowScalar, 0.05, 4, 1.5, [](double x, double p) { return std::pow(x, p); }},
      {UnaryOp::AddScalar, -3, 3, 0.75, [](double x, double p) { return x + p; }},
      {UnaryOp::MulScalar, -3, 3, -2.5, [](double x, double p) { return x * p; }},
      {UnaryOp::Log1p, -0.9, 3, 0, [](double x, double) { return std::log1p(x); }},
      {UnaryOp::Expm1, -3, 3, 0, [](double x, double) { return std::expm1(x); }},
  };
  return cases;
}

struct BinaryCase {
  BinaryOp op;
  const char* name;
  double (*ref)(double a, double b);
};

const std::vector<BinaryCase>& binary_cases() {
  static const std::vector<BinaryCase> cases = {
      {BinaryOp::Add, "add", [](double a, double b) { return a + b; }},
      {BinaryOp::Sub, "sub", [](double a, double b) { return a - b; }},
      {BinaryOp::Mul, "mul", [](double a, double b) { return a * b; }},
      {BinaryOp::Div, "div", [](double a, double b) { return a / b; }},
      {BinaryOp::Pow, "pow", [](double a, double b) { return std::pow(a, b); }},
      {BinaryOp::Maximum, "maximum", [](double a, double b) { return a > b ? a : b; }},
      {BinaryOp::Minimum, "minimum", [](double a, double b) { return a < b ? a : b; }},
      {BinaryOp::Gt, "gt", [](double a, double b) { return a > b ? 1.0 : 0.0; }},
      {BinaryOp::Ge, "ge", [](double a, double b) { return a >= b ? 1.0 : 0.0; }},
      {BinaryOp::Lt, "lt", [](double a, double b) { return a < b ? 1.0 : 0.0; }},
      {BinaryOp::Le, "le", [](double a, double b) { return a <= b ? 1.0 : 0.0; }},
      {BinaryOp::Eq, "eq", [](double a, double b) { return a == b ? 1.0 : 0.0; }},
  };
  return cases;
}

// Values on a grid of quarters, so comparisons see ties; Pow gets a positive base and
// Div a nonzero divisor.
template <class T>
std::vector<T> grid_vector(size_t n, uint64_t seed, double lo, double hi, bool avoid_zero) {
  Lcg rng(seed);
  std::vector<T> v(n);
  for (auto& x : v) {
    double q = std::round(rng.uniform(lo, hi) * 4) / 4;
    if (avoid_zero && q == 0) q = 0.5;
    x = static_cast<T>(q);
  }
  return v;
}

// One broadcast pattern: a and b as views (shape == out shape) over storages of the
// given sizes.
struct Pattern {
  const char* name;
  Dims out_shape;
  int64_t a_size;
  Dims a_strides;
  int64_t b_size;
  Dims b_strides;
};

std::vector<Pattern> binary_patterns() {
  return {
      {"same shape contiguous", {5, 37}, 185, {37, 1}, 185, {37, 1}},
      {"row broadcast [6,37]+[37]", {6, 37}, 222, {37, 1}, 37, {0, 1}},
      {"column broadcast [6,37]+[6,1]", {6, 37}, 222, {37, 1}, 6, {1, 0}},
      {"tensor op scalar", {7, 9}, 63, {9, 1}, 1, {0, 0}},
      {"scalar op tensor", {7, 9}, 1, {0, 0}, 63, {9, 1}},
      {"outer [6,1] op [1,37]", {6, 37}, 6, {1, 0}, 37, {0, 1}},
      // a: logical [5,4,3] = storage [4,3,5] permuted (2,0,1); b: [4] broadcast on dims 0, 2.
      {"3-d permuted a, broadcast b",
       {5, 4, 3},
       60,
       permuted_strides({4, 3, 5}, {2, 0, 1}),
       4,
       {0, 1, 0}},
      {"3-d both permuted",
       {3, 4, 5},
       60,
       permuted_strides({5, 3, 4}, {1, 2, 0}),
       60,
       permuted_strides({4, 5, 3}, {2, 0, 1})},
  };
}

template <class T>
T dot(const std::vector<T>& a, const std::vector<T>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return static_cast<T>(s);
}

}  // namespace

// ---- memory and registry --------------------------------------------------------

TEST_CASE("cpu backend: registry, alignment and host copies", "[backend][cpu]") {
  REQUIRE(device_available(Device::CPU));
  REQUIRE(cpu().device() == Device::CPU);
  REQUIRE(cpu().name() == "cpu");
  if (!device_available(Device::CUDA)) {
    REQUIRE_THROWS_AS(backend(Device::CUDA), DeviceError);
  }
  for (size_t bytes : {size_t(0), size_t(1), size_t(100), size_t(4096), size_t(1000003)}) {
    void* p = cpu().allocate(bytes);
    REQUIRE(p != nullptr);
    REQUIRE(reinterpret_cast<uintptr_t>(p) % 64 == 0);
    cpu().deallocate(p, bytes);
  }
  std::vector<double> host = {1.5, -2, 3.25, 7}, back(4);
  void* dev = cpu().allocate(sizeof(double) * 4);
  cpu().copy_from_host(dev, host.data(), sizeof(double) * 4);
  cpu().copy_to_host(back.data(), dev, sizeof(double) * 4);
  cpu().deallocate(dev, sizeof(double) * 4);
  REQUIRE(back == host);
}

// ---- unary ------------------------------------------------------------------------

TEST_CASE("unary op list: every op has exactly one reference row in the kernel table",
          "[backend][cpu]") {
  std::vector<int> rows(kUnaryOpCount, 0);
  for (const auto& c : unary_cases()) {
    REQUIRE(static_cast<int>(c.op) < kUnaryOpCount);
    ++rows[static_cast<int>(c.op)];
  }
  for (int op = 0; op < kUnaryOpCount; ++op) {
    INFO("unary op " << unary_op_name(static_cast<UnaryOp>(op)));
    CHECK(rows[op] == 1);
  }
  // The enum, the names and the dispatch come from the same list, in its order.
  CHECK(std::string(unary_op_name(UnaryOp::Neg)) == "neg");
  CHECK(std::string(unary_op_name(UnaryOp::PowScalar)) == "pow_scalar");
  CHECK(static_cast<int>(UnaryOp::Expm1) == kUnaryOpCount - 1);
}

TEMPLATE_TEST_CASE("cpu unary: every op on contiguous, permuted, sliced and broadcast x",
                   "[backend][cpu]", float, double) {
  using T = TestType;
  const Dims shape = {37, 13};
  struct Layout {
    const char* name;
    int64_t storage;
    Dims strides;
  };
  const std::vector<Layout> layouts = {
      {"contiguous", 37 * 13, {13, 1}},         {"transposed", 37 * 13, {1, 37}},
      {"every other column", 37 * 26, {26, 2}}, {"row broadcast", 13, {0, 1}},
      {"column broadcast", 37, {1, 0}},
  };
  for (const auto& c : unary_cases()) {
    for (const auto& layout : layouts) {
      INFO(unary_op_name(c.op) << " on " << layout.name);
      std::vector<T> xs = random_vector<T>(layout.storage, c.lo, c.hi, 7);
      if (c.lo < 0 && c.hi > 0) xs[3] = 0;  // exact zero for sign / step / relu
      std::vector<T> out(product(shape), T(-999));
      const View x = view_of(xs, shape, layout.strides);
      const View o = view_of(out, shape);
      cpu().unary(c.op, x, o, c.param);
      for_each_index(shape, [&](const Dims& i) {
        const double want = static_cast<T>(c.ref(at<T>(x, i), static_cast<T>(c.param)));
        if (!close(at<T>(o, i), want, rtol<T>())) {
          FAIL_CHECK("at [" << i[0] << ", " << i[1] << "]: x=" << at<T>(x, i) << " got "
                            << at<T>(o, i) << " want " << want);
        }
      });
    }
  }
}

// ---- binary -----------------------------------------------------------------------

TEMPLATE_TEST_CASE("cpu binary: every op on every broadcast pattern", "[backend][cpu]", float,
                   double) {
  using T = TestType;
  for (const auto& c : binary_cases()) {
    for (const auto& p : binary_patterns()) {
      INFO(c.name << " with " << p.name);
      const bool is_pow = c.op == BinaryOp::Pow;
      std::vector<T> as = grid_vector<T>(p.a_size, 11, is_pow ? 0.25 : -3, 3, is_pow);
      std::vector<T> bs = grid_vector<T>(p.b_size, 12, -3, 3, c.op == BinaryOp::Div);
      std::vector<T> out(product(p.out_shape), T(-999));
      const View a = view_of(as, p.out_shape, p.a_strides);
      const View b = view_of(bs, p.out_shape, p.b_strides);
      const View o = view_of(out, p.out_shape);
      cpu().binary(c.op, a, b, o);
      int mismatches = 0;
      for_each_index(p.out_shape, [&](const Dims& i) {
        const double want = static_cast<T>(c.ref(at<T>(a, i), at<T>(b, i)));
        if (!close(at<T>(o, i), want, rtol<T>())) ++mismatches;
      });
      CHECK(mismatches == 0);
    }
  }
}

TEST_CASE("cpu binary: in place, empty, and shape / dtype errors", "[backend][cpu]") {
  std::vector<float> a = {1, 2, 3, 4}, b = {10, 20, 30, 40};
  cpu().binary(BinaryOp::Add, view_of(a, {4}), view_of(b, {4}), view_of(a, {4}));
  REQUIRE(a == std::vector<float>({11, 22, 33, 44}));
  std::vector<float> none;
  cpu().binary(BinaryOp::Mul, view_of(none, {0, 5}), view_of(none, {0, 5}), view_of(none, {0, 5}));
  REQUIRE_THROWS_AS(
      cpu().binary(BinaryOp::Add, view_of(a, {2, 2}), view_of(b, {4}), view_of(a, {2, 2})),
      ShapeError);
  std::vector<int64_t> ints = {1, 2, 3, 4};
  REQUIRE_THROWS_AS(cpu().unary(UnaryOp::Exp, view_of(ints, {4}), view_of(ints, {4}), 0),
                    DTypeError);
  std::vector<double> d(4);
  REQUIRE_THROWS_AS(cpu().unary(UnaryOp::Exp, view_of(a, {4}), view_of(d, {4}), 0), DTypeError);
}

// ---- fill / copy --------------------------------------------------------------------

TEST_CASE("cpu fill: strided slice, untouched elsewhere, int64", "[backend][cpu]") {
  std::vector<double> buf(8 * 10, -1.0);
  // column slice [:, 2:7:2] of an [8, 10] tensor: shape [8, 3], strides (10, 2), offset 2
  cpu().fill(view_of(buf, {8, 3}, {10, 2}, 2), 4.5);
  for (int64_t r = 0; r < 8; ++r)
    for (int64_t c = 0; c < 10; ++c) {
      const bool in_slice = c >= 2 && c < 7 && c % 2 == 0;
      REQUIRE(buf[r * 10 + c] == (in_slice ? 4.5 : -1.0));
    }
  std::vector<int64_t> ints(5, 0);
  cpu().fill(view_of(ints, {5}), 7.0);
  REQUIRE(ints == std::vector<int64_t>(5, 7));
}

template <class S, class D>
void check_copy(const char* what, const Dims& shape, int64_t src_size, const Dims& src_strides,
                int64_t dst_size, const Dims& dst_strides, int64_t dst_offset = 0) {
  INFO(what);
  std::vector<S> src(src_size);
  Lcg rng(5);
  for (auto& v : src) v = static_cast<S>(rng.uniform(-50, 50));
  std::vector<D> dst(dst_size, D(-12345));
  const View s = view_of(src, shape, src_strides);
  const View d = view_of(dst, shape, dst_strides, dst_offset);
  std::vector<D> expected = dst;
  const View e = view_of(expected, shape, dst_strides, dst_offset);
  for_each_index(shape, [&](const Dims& i) { at<D>(e, i) = static_cast<D>(at<S>(s, i)); });
  cpu().copy(s, d);
  REQUIRE(dst == expected);  // also checks that nothing outside the dst view changed
}

TEST_CASE("cpu copy: casts between float32, float64, int64 and arbitrary strides",
          "[backend][cpu]") {
  const Dims shape = {6, 5, 7};
  const Dims contiguous = contiguous_strides(shape);
  check_copy<float, double>("f32 -> f64 contiguous", shape, 210, contiguous, 210, contiguous);
  check_copy<double, float>("f64 -> f32 contiguous", shape, 210, contiguous, 210, contiguous);
  check_copy<double, int64_t>("f64 -> i64 truncates", shape, 210, contiguous, 210, contiguous);
  check_copy<int64_t, double>("i64 -> f64", shape, 210, contiguous, 210, contiguous);
  check_copy<float, float>("permuted src (2,0,1)", shape, 210,
                           permuted_strides({7, 6, 5}, {1, 2, 0}), 210, contiguous);
  check_copy<double, double>("permuted dst", shape, 210, contiguous, 210,
                             permuted_strides({5, 7, 6}, {2, 0, 1}));
  check_copy<float, double>("expand src [1,5,1] -> [6,5,7]", shape, 5, {0, 1, 0}, 210, contiguous);
  // write into the slice [1:7, 2:7, 3:10] of a zero [8, 9, 11] tensor
  check_copy<double, float>("into a slice", shape, 210, contiguous, 8 * 9 * 11, {99, 11, 1},
                            99 + 2 * 11 + 3);
  // large 2-d transposes (the tiled path), sizes not multiples of the tile
  check_copy<float, float>("transpose 67x45", {67, 45}, 67 * 45, {1, 67}, 67 * 45, {45, 1});
  check_copy<double, float>("batched transpose 3x40x33", {3, 40, 33}, 3 * 40 * 33, {40 * 33, 1, 40},
                            3 * 40 * 33, {40 * 33, 33, 1});
  // src's unit-stride axis is the outermost: logical [7, 40, 33] of storage [33, 40, 7]
  check_copy<float, double>("reversed axes", {7, 40, 33}, 7 * 40 * 33,
                            permuted_strides({33, 40, 7}, {2, 1, 0}), 7 * 40 * 33,
                            contiguous_strides({7, 40, 33}));
  std::vector<double> f = {2.7, -2.7, 0.5};
  std::vector<int64_t> i(3);
  cpu().copy(view_of(f, {3}), view_of(i, {3}));
  REQUIRE(i == std::vector<int64_t>({2, -2, 0}));
}

// ---- reduce -------------------------------------------------------------------------

// Naive keepdim reduction in double over the axes where out_shape is 1.
template <class T>
std::vector<double> reference_reduce(ReduceOp op, const View& x, const Dims& out_shape) {
  const Dims x_shape(x.shape, x.shape + x.ndim);
  const double init = op == ReduceOp::Sum   ? 0.0
                      : op == ReduceOp::Max ? -std::numeric_limits<double>::infinity()
                                            : std::numeric_limits<double>::infinity();
  std::vector<double> out(product(out_shape), init);
  const Dims os = contiguous_strides(out_shape);
  for_each_index(x_shape, [&](const Dims& i) {
    int64_t o = 0;
    for (size_t d = 0; d < i.size(); ++d) o += (out_shape[d] == 1 ? 0 : i[d]) * os[d];
    const double v = at<T>(x, i);
    if (op == ReduceOp::Sum) out[o] += v;
    if (op == ReduceOp::Max) out[o] = std::max(out[o], v);
    if (op == ReduceOp::Min) out[o] = std::min(out[o], v);
  });
  return out;
}

template <class T>
void check_reduce(ReduceOp op, const Dims& x_shape, const Dims& x_strides, int64_t storage,
                  const Dims& out_shape) {
  std::vector<T> xs = random_vector<T>(storage, -1, 1, 3);
  const View x = view_of(xs, x_shape, x_strides);
  std::vector<T> out(product(out_shape), T(-999));
  cpu().reduce(op, x, view_of(out, out_shape));
  const std::vector<double> want = reference_reduce<T>(op, x, out_shape);
  // sums: the reference's own rounding over up to ~1e4 terms dominates in double
  const double tol = std::is_same<T, float>::value ? 1e-6 : 1e-12;
  int mismatches = 0;
  for (size_t k = 0; k < out.size(); ++k)
    if (std::fabs(out[k] - want[k]) > tol * (1 + std::fabs(want[k]))) ++mismatches;
  CHECK(mismatches == 0);
}

TEMPLATE_TEST_CASE("cpu reduce: sum/max/min over every axis set, fast paths, permuted x",
                   "[backend][cpu]", float, double) {
  using T = TestType;
  const Dims shape = {6, 7, 5};
  for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min}) {
    INFO("op " << static_cast<int>(op));
    for (int mask = 0; mask < 8; ++mask) {
      INFO("axis mask " << mask);
      Dims out_shape = shape;
      for (int d = 0; d < 3; ++d)
        if (mask & (1 << d)) out_shape[d] = 1;
      check_reduce<T>(op, shape, contiguous_strides(shape), 210, out_shape);
      // the same logical x stored as [5, 6, 7] (x's last axis is the storage's first)
      check_reduce<T>(op, shape, permuted_strides({5, 6, 7}, {1, 2, 0}), 210, out_shape);
    }
    check_reduce<T>(op, {1000, 33}, {33, 1}, 33000, {1, 33});          // column (bias grad)
    check_reduce<T>(op, {33, 1000}, {1000, 1}, 33000, {33, 1});        // row (softmax)
    check_reduce<T>(op, {5000}, {1}, 5000, {1});                       // full, pairwise
    check_reduce<T>(op, {200, 3, 17}, {51, 17, 1}, 10200, {1, 3, 1});  // batch-norm style
    check_reduce<T>(op, {4, 130, 9}, {1170, 9, 1}, 4680, {4, 1, 9});   // middle axis
    check_reduce<T>(op, {1, 1, 1}, {1, 1, 1}, 1, {1, 1, 1});           // single element
  }
}

TEST_CASE("cpu reduce: float32 sums stay accurate over a million terms", "[backend][cpu]") {
  // Naive float accumulation of 2^20 copies of 0.1f is off by ~1%; the backend's double
  // accumulation must get the exactly rounded result.
  const int64_t n = int64_t(1) << 20;
  std::vector<float> x(n, 0.1f), out(1);
  cpu().reduce(ReduceOp::Sum, view_of(x, {n}), view_of(out, {1}));
  REQUIRE(out[0] == static_cast<float>(n * static_cast<double>(0.1f)));
  // column path: [2^18, 4] -> [1, 4]
  std::vector<float> cols(4);
  cpu().reduce(ReduceOp::Sum, view_of(x, {n / 4, 4}), view_of(cols, {1, 4}));
  for (float c : cols) REQUIRE(c == static_cast<float>((n / 4) * static_cast<double>(0.1f)));
}

TEST_CASE("cpu reduce: NaN propagates through max/min, empty axes", "[backend][cpu]") {
  std::vector<double> x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18};
  x[13] = std::numeric_limits<double>::quiet_NaN();  // row 1 of [2, 9], column 4 of [9..]
  for (ReduceOp op : {ReduceOp::Max, ReduceOp::Min}) {
    std::vector<double> rows(2), cols(9);
    cpu().reduce(op, view_of(x, {2, 9}), view_of(rows, {2, 1}));
    REQUIRE(rows[0] == (op == ReduceOp::Max ? 9 : 1));
    REQUIRE(std::isnan(rows[1]));
    cpu().reduce(op, view_of(x, {2, 9}), view_of(cols, {1, 9}));
    for (int j = 0; j < 9; ++j) REQUIRE(std::isnan(cols[j]) == (j == 4));
  }
  std::vector<float> empty, sums(5, -1.f);
  cpu().reduce(ReduceOp::Sum, view_of(empty, {0, 5}), view_of(sums, {1, 5}));
  REQUIRE(sums == std::vector<float>(5, 0.f));
  REQUIRE_THROWS_AS(cpu().reduce(ReduceOp::Max, view_of(empty, {0, 5}), view_of(sums, {1, 5})),
                    ValueError);
  REQUIRE_THROWS_AS(cpu().reduce(ReduceOp::Sum, view_of(x, {2, 9}), view_of(sums, {1, 5})),
                    ShapeError);
}

// ---- im2col / col2im ------------------------------------------------------------------

namespace {

Conv2dGeometry geometry(int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw,
                        int64_t sh, int64_t sw, int64_t ph, int64_t pw) {
  return {
      n, c, h, w, kh, kw, sh, sw, ph, pw, (h + 2 * ph - kh) / sh + 1, (w + 2 * pw - kw) / sw + 1};
}

std::vector<Conv2dGeometry> conv_geometries() {
  return {
      geometry(2, 3, 7, 6, 3, 3, 1, 1, 1, 1),  // "same" 3x3
      geometry(2, 2, 9, 8, 3, 2, 2, 2, 1, 0),  // stride 2, padding on h only
      geometry(1, 2, 6, 6, 2, 2, 2, 2, 0, 0),  // 2x2 pooling
      geometry(2, 3, 8, 7, 3, 3, 2, 1, 2, 1),  // stride 2 on h only, wide padding
      geometry(1, 2, 5, 9, 3, 3, 1, 3, 1, 2),  // stride 3 on w
      geometry(1, 1, 3, 4, 5, 5, 1, 1, 2, 2),  // kernel as large as the padded image
      geometry(2, 4, 5, 5, 1, 1, 1, 1, 0, 0),  // 1x1
  };
}

// cols[n, (c*kh+i)*kw+j, oy*ow+ox] straight from the definition.
template <class T>
std::vector<T> naive_im2col(const Conv2dGeometry& g, const std::vector<T>& x, T pad) {
  const int64_t rows = g.c * g.kh * g.kw, cols = g.oh * g.ow;
  std::vector<T> out(g.n * rows * cols);
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t c = 0; c < g.c; ++c)
      for (int64_t i = 0; i < g.kh; ++i)
        for (int64_t j = 0; j < g.kw; ++j)
          for (int64_t oy = 0; oy < g.oh; ++oy)
            for (int64_t ox = 0; ox < g.ow; ++ox) {
              const int64_t iy = oy * g.sh - g.ph + i, ix = ox * g.sw - g.pw + j;
              const bool inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
              const int64_t row = (c * g.kh + i) * g.kw + j;
              out[(n * rows + row) * cols + oy * g.ow + ox] =
                  inside ? x[((n * g.c + c) * g.h + iy) * g.w + ix] : pad;
            }
  return out;
}

}  // namespace

TEMPLATE_TEST_CASE("cpu im2col matches the definition and col2im is its adjoint", "[backend][cpu]",
                   float, double) {
  using T = TestType;
  const DType dt = dtype_of<T>();
  for (const Conv2dGeometry& g : conv_geometries()) {
    INFO("geometry c=" << g.c << " h=" << g.h << " w=" << g.w << " k=" << g.kh << "x" << g.kw
                       << " s=" << g.sh << "x" << g.sw << " p=" << g.ph << "x" << g.pw);
    const int64_t x_size = g.n * g.c * g.h * g.w;
    const int64_t cols_size = g.n * g.c * g.kh * g.kw * g.oh * g.ow;
    const std::vector<T> x = random_vector<T>(x_size, -1, 1, 21);
    for (T pad : {T(0), -std::numeric_limits<T>::infinity()}) {
      std::vector<T> cols(cols_size, T(123));
      cpu().im2col(g, x.data(), cols.data(), dt, static_cast<double>(pad));
      REQUIRE(cols == naive_im2col(g, x, pad));  // a pure copy: exact
    }
    // <col2im(y), x> == <y, im2col(x)> for random x, y
    const std::vector<T> y = random_vector<T>(cols_size, -1, 1, 22);
    std::vector<T> cols(cols_size), folded(x_size, T(0));
    cpu().im2col(g, x.data(), cols.data(), dt, 0.0);
    cpu().col2im(g, y.data(), folded.data(), dt);
    const double lhs = dot(folded, x), rhs = dot(y, cols);
    REQUIRE(std::fabs(lhs - rhs) <=
            (std::is_same<T, float>::value ? 1e-4 : 1e-11) * (1 + std::fabs(rhs)));
    // and col2im accumulates: a second call doubles the result
    std::vector<T> twice = folded;
    cpu().col2im(g, y.data(), twice.data(), dt);
    for (int64_t k = 0; k < x_size; ++k)
      REQUIRE(std::fabs(twice[k] - 2 * folded[k]) <= 1e-5 * (1 + std::fabs(folded[k])));
  }
}

// ---- gather / scatter_add ------------------------------------------------------------

TEMPLATE_TEST_CASE("cpu gather and scatter_add: definition and adjointness", "[backend][cpu]",
                   float, double) {
  using T = TestType;
  const std::vector<int64_t> index = {4, 0, 4, 2, 1, 4, 3};  // repeats accumulate
  const int64_t n_index = static_cast<int64_t>(index.size());
  for (int64_t inner : {int64_t(1), int64_t(6)}) {
    INFO("inner " << inner);
    const int64_t outer = 3, axis = 5;
    const std::vector<T> src = random_vector<T>(outer * axis * inner, -1, 1, 31);
    std::vector<T> out(outer * n_index * inner);
    cpu().gather(dtype_of<T>(), src.data(), outer, axis, inner, index.data(), n_index, out.data());
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < n_index; ++i)
        for (int64_t j = 0; j < inner; ++j)
          REQUIRE(out[(o * n_index + i) * inner + j] == src[(o * axis + index[i]) * inner + j]);

    const std::vector<T> y = random_vector<T>(outer * n_index * inner, -1, 1, 32);
    std::vector<T> scattered(outer * axis * inner, T(0)), expected(outer * axis * inner, T(0));
    cpu().scatter_add(dtype_of<T>(), y.data(), outer, n_index, inner, index.data(),
                      scattered.data(), axis);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < n_index; ++i)
        for (int64_t j = 0; j < inner; ++j)
          expected[(o * axis + index[i]) * inner + j] += y[(o * n_index + i) * inner + j];
    for (size_t k = 0; k < expected.size(); ++k)
      REQUIRE(std::fabs(scattered[k] - expected[k]) <= 1e-6 * (1 + std::fabs(expected[k])));
    // <gather(src), y> == <src, scatter_add(y)>
    const double lhs = dot(out, y), rhs = dot(src, scattered);
    REQUIRE(std::fabs(lhs - rhs) <= 1e-5 * (1 + std::fabs(rhs)));
  }
  std::vector<int64_t> labels = {10, 11, 12, 13}, picked(3);
  const std::vector<int64_t> which = {3, 3, 0};
  cpu().gather(DType::I64, labels.data(), 1, 4, 1, which.data(), 3, picked.data());
  REQUIRE(picked == std::vector<int64_t>({13, 13, 10}));
}

// ---- gemm ---------------------------------------------------------------------------------

TEMPLATE_TEST_CASE("cpu gemm: batched, every transpose pair, k = 0", "[backend][cpu]", float,
                   double) {
  using T = TestType;
  const int64_t m = 5, n = 7, k = 4, batch = 3;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      INFO("trans_a " << ta << " trans_b " << tb);
      const int64_t lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 3;
      const int64_t sa = (ta ? k : m) * lda, sb = (tb ? n : k) * ldb, sc = m * ldc;
      const std::vector<T> a = random_vector<T>(batch * sa, -1, 1, 41);
      const std::vector<T> b = random_vector<T>(batch * sb, -1, 1, 42);
      std::vector<T> c = random_vector<T>(batch * sc, -1, 1, 43), want = c;
      cpu().gemm(dtype_of<T>(), ta, tb, m, n, k, 0.5, a.data(), lda, sa, b.data(), ldb, sb, 2.0,
                 c.data(), ldc, sc, batch);
      for (int64_t i = 0; i < batch; ++i)
        gemm_reference<T>(ta, tb, m, n, k, T(0.5), a.data() + i * sa, lda, b.data() + i * sb, ldb,
                          T(2), want.data() + i * sc, ldc);
      for (size_t e = 0; e < c.size(); ++e) REQUIRE(std::fabs(c[e] - want[e]) <= 1e-5);
    }
  std::vector<T> c(6, std::numeric_limits<T>::quiet_NaN());
  cpu().gemm(dtype_of<T>(), false, false, 2, 3, 0, 1.0, nullptr, 1, 0, nullptr, 3, 0, 0.0, c.data(),
             3, 0, 1);
  REQUIRE(c == std::vector<T>(6, T(0)));
}
