// tests/backend/test_gemm.cpp — sgemm / dgemm against gemm_reference (the naive triple loop).
//
// Every case runs the public sgemm/dgemm (OpenBLAS natively, wasm_simd128 in WASM) and the
// portable packed kernel (always compiled, so its packing/blocking code is tested natively
// too). Sizes are chosen to hit every edge of the blocked loop nest: 1, sizes that are not
// multiples of the register tile (5 x 8 / 4 x 8 for f32), m > MC (120 / 256 rows), k > KC
// (512 / 256) so that C accumulates over several k blocks, and n > NC (2048 / 1024 / 4096).
//
// Matrices are stored with leading dimensions larger than the minimum; the padding holds NaN
// in A and B (reading it would poison the result) and a sentinel in C (writing it is caught).
// The tolerance is the standard dot-product error bound (Higham, "Accuracy and Stability of
// Numerical Algorithms", 3.1): |C - C_ref| <= gamma_{k+2} (|alpha| |op(A)| |op(B)| + |beta| |C|),
// so a wrong element, index or transposition fails by orders of magnitude.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "backend/cpu/gemm_kernels.h"
#include "gradlab/error.h"
#include "gradlab/gemm.h"

using namespace gradlab;

namespace {

template <class T>
using GemmFn = void (*)(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*,
                        int64_t, T, T*, int64_t);

struct Lcg {
  uint64_t state;
  explicit Lcg(uint64_t seed) : state(seed * 2654435761u + 7) {}
  double uniform() {  // [-1, 1)
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state >> 11) * 0x1.0p-53 * 2.0 - 1.0;
  }
};

// A stored matrix: rows x cols with leading dimension ld >= cols; columns past `cols` are
// padding filled with `pad`.
template <class T>
std::vector<T> make_matrix(int64_t rows, int64_t cols, int64_t ld, T pad, uint64_t seed) {
  Lcg rng(seed);
  std::vector<T> m(static_cast<size_t>(std::max<int64_t>(1, rows * ld)), pad);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) m[i * ld + j] = static_cast<T>(rng.uniform());
  return m;
}

template <class T>
std::vector<T> abs_of(std::vector<T> v) {
  for (T& x : v) x = std::abs(x);
  return v;
}

struct Case {
  bool trans_a, trans_b;
  int64_t m, n, k;
  double alpha, beta;
  int64_t pad;         // extra leading-dimension elements on A, B and C
  bool nan_c = false;  // fill C with NaN (only meaningful with beta == 0)
};

std::string describe(const Case& c) {
  return std::string(c.trans_a ? "T" : "N") + (c.trans_b ? "T" : "N") +
         " m=" + std::to_string(c.m) + " n=" + std::to_string(c.n) + " k=" + std::to_string(c.k) +
         " alpha=" + std::to_string(c.alpha) + " beta=" + std::to_string(c.beta) +
         " pad=" + std::to_string(c.pad) + (c.nan_c ? " C=NaN" : "");
}

// Runs `gemm` on case `c` and checks every element of C (and that C's padding is untouched).
// Returns the number of bad elements (0 = pass) so a failure reports once per case.
template <class T>
int64_t run_case(GemmFn<T> gemm, const Case& c, uint64_t seed) {
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const T sentinel = T(12345.5);
  // Stored shapes: A (m, k) or (k, m); B (k, n) or (n, k); C (m, n).
  const int64_t a_rows = c.trans_a ? c.k : c.m, a_cols = c.trans_a ? c.m : c.k;
  const int64_t b_rows = c.trans_b ? c.n : c.k, b_cols = c.trans_b ? c.k : c.n;
  const int64_t lda = std::max<int64_t>(1, a_cols + c.pad);
  const int64_t ldb = std::max<int64_t>(1, b_cols + c.pad);
  const int64_t ldc = std::max<int64_t>(1, c.n + c.pad);
  const std::vector<T> a = make_matrix<T>(a_rows, a_cols, lda, nan, seed);
  const std::vector<T> b = make_matrix<T>(b_rows, b_cols, ldb, nan, seed + 1);
  std::vector<T> out = make_matrix<T>(c.m, c.n, ldc, sentinel, seed + 2);
  if (c.nan_c)
    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.n; ++j) out[i * ldc + j] = nan;
  std::vector<T> expected = out;

  const T alpha = static_cast<T>(c.alpha), beta = static_cast<T>(c.beta);
  gemm(c.trans_a, c.trans_b, c.m, c.n, c.k, alpha, a.data(), lda, b.data(), ldb, beta, out.data(),
       ldc);
  gemm_reference<T>(c.trans_a, c.trans_b, c.m, c.n, c.k, alpha, a.data(), lda, b.data(), ldb, beta,
                    expected.data(), ldc);
  // Error bound scale: the same product on absolute values (padding NaNs are never read by
  // the reference, and beta == 0 ignores C there too).
  std::vector<T> scale = abs_of(make_matrix<T>(c.m, c.n, ldc, sentinel, seed + 2));
  gemm_reference<T>(c.trans_a, c.trans_b, c.m, c.n, c.k, std::abs(alpha), abs_of(a).data(), lda,
                    abs_of(b).data(), ldb, std::abs(beta), scale.data(), ldc);

  const double eps = std::numeric_limits<T>::epsilon();
  const double gamma = (c.k + 2) * eps / (1 - (c.k + 2) * eps);
  int64_t bad = 0;
  for (int64_t i = 0; i < c.m; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      const T got = out[i * ldc + j];
      bool ok;
      if (j >= c.n) {
        ok = got == sentinel;  // padding of C must not be written
      } else {
        const double tol = 2 * gamma * scale[i * ldc + j] + std::numeric_limits<T>::min();
        ok = std::isfinite(got) && std::abs(double(got) - double(expected[i * ldc + j])) <= tol;
      }
      if (!ok && bad++ < 3)
        UNSCOPED_INFO("C[" << i << "," << j << "] = " << got << ", expected "
                           << (j >= c.n ? sentinel : expected[i * ldc + j]));
    }
  }
  return bad;
}

// The shapes every implementation must get right (m, n, k).
struct Shape {
  int64_t m, n, k;
};
const std::vector<Shape> kShapes = {{1, 1, 1},     {3, 17, 5},     {17, 3, 33}, {33, 65, 17},
                                    {65, 33, 130}, {130, 130, 65}, {1, 130, 7}, {130, 1, 65},
                                    {7, 9, 1},     {5, 8, 64},     {10, 16, 3}, {6, 10, 600},
                                    {260, 9, 70},  {3, 2100, 4},   {2, 4100, 3}};

template <class T>
void check_all_cases(GemmFn<T> gemm) {
  uint64_t seed = 1;
  for (int trans = 0; trans < 4; ++trans) {
    const bool ta = trans & 2, tb = trans & 1;
    for (const Shape& s : kShapes) {
      const Case plain{ta, tb, s.m, s.n, s.k, 1.0, 0.0, 0};
      const Case padded{ta, tb, s.m, s.n, s.k, -0.75, 1.5, 3};
      for (const Case& c : {plain, padded}) {
        INFO(describe(c));
        CHECK(run_case<T>(gemm, c, seed++) == 0);
      }
    }
  }
}

template <class T>
void check_alpha_beta(GemmFn<T> gemm) {
  uint64_t seed = 100;
  for (int trans = 0; trans < 4; ++trans) {
    const bool ta = trans & 2, tb = trans & 1;
    for (const auto& ab : std::vector<std::pair<double, double>>{
             {1, 0}, {2.5, 0}, {-0.5, 1}, {1, -2}, {0.7, 0.3}, {0, 0.5}, {0, 0}}) {
      const Case c{ta, tb, 37, 29, 41, ab.first, ab.second, 2};
      INFO(describe(c));
      CHECK(run_case<T>(gemm, c, seed++) == 0);
    }
    // beta == 0 must overwrite C without reading it, even when C holds NaN.
    for (const Shape& s : {Shape{33, 65, 17}, Shape{130, 130, 65}, Shape{6, 10, 600}}) {
      const Case c{ta, tb, s.m, s.n, s.k, 1.25, 0.0, 1, true};
      INFO(describe(c));
      CHECK(run_case<T>(gemm, c, seed++) == 0);
    }
  }
}

}  // namespace

TEST_CASE("sgemm matches the reference in all transposition cases and odd sizes", "[gemm]") {
  check_all_cases<float>(&sgemm);
}

TEST_CASE("dgemm matches the reference in all transposition cases and odd sizes", "[gemm]") {
  check_all_cases<double>(&dgemm);
}

TEST_CASE("sgemm and dgemm handle alpha, beta and beta = 0 over NaN", "[gemm]") {
  check_alpha_beta<float>(&sgemm);
  check_alpha_beta<double>(&dgemm);
}

TEST_CASE("the portable packed GEMM matches the reference", "[gemm]") {
  check_all_cases<float>(&detail::sgemm_portable);
  check_all_cases<double>(&detail::dgemm_portable);
  check_alpha_beta<float>(&detail::sgemm_portable);
  check_alpha_beta<double>(&detail::dgemm_portable);
}

TEST_CASE("gemm with an empty dimension", "[gemm]") {
  // k == 0: C = beta * C (beta == 0 clears, NaN included); m or n == 0: nothing is touched.
  std::vector<float> c = {1, 2, std::numeric_limits<float>::quiet_NaN(), 4};
  const float dummy = 0;
  sgemm(false, false, 2, 2, 0, 1.0f, &dummy, 1, &dummy, 2, 0.0f, c.data(), 2);
  CHECK(c == std::vector<float>{0, 0, 0, 0});
  std::vector<double> d = {1, 2, 3, 4};
  const double ddummy = 0;
  dgemm(true, true, 2, 2, 0, 1.0, &ddummy, 2, &ddummy, 1, -2.0, d.data(), 2);
  CHECK(d == std::vector<double>{-2, -4, -6, -8});
  sgemm(false, false, 0, 2, 3, 1.0f, &dummy, 3, &dummy, 2, 0.0f, c.data(), 2);
  sgemm(false, false, 2, 0, 3, 1.0f, &dummy, 3, &dummy, 1, 0.0f, c.data(), 1);
  CHECK(c == std::vector<float>{0, 0, 0, 0});
}

TEST_CASE("gemm rejects invalid sizes and leading dimensions", "[gemm]") {
  std::vector<float> buf(64, 0.0f);
  const float* p = buf.data();
  float* c = buf.data();
  CHECK_THROWS_AS(sgemm(false, false, -1, 2, 2, 1.0f, p, 2, p, 2, 0.0f, c, 2), ValueError);
  // A is 3 x 4 (lda >= 4); transposed it is stored 4 x 3 (lda >= 3).
  CHECK_THROWS_WITH(sgemm(false, false, 3, 2, 4, 1.0f, p, 3, p, 2, 0.0f, c, 2),
                    Catch::Contains("lda=3"));
  CHECK_NOTHROW(sgemm(true, false, 3, 2, 4, 1.0f, p, 3, p, 2, 0.0f, c, 2));
  CHECK_THROWS_WITH(sgemm(false, true, 3, 2, 4, 1.0f, p, 4, p, 3, 0.0f, c, 2),
                    Catch::Contains("ldb=3"));
  std::vector<double> dbuf(64, 0.0);
  CHECK_THROWS_WITH(
      dgemm(false, false, 3, 5, 4, 1.0, dbuf.data(), 4, dbuf.data(), 5, 0.0, dbuf.data(), 4),
      Catch::Contains("ldc=4"));
}

TEST_CASE("gemm threads and implementation name", "[gemm]") {
  const std::string impl = gemm_implementation();
#if defined(GRADLAB_OPENBLAS)
  CHECK(impl == "openblas");
#elif defined(GRADLAB_WASM)
  CHECK(impl == "wasm_simd128");
#else
  CHECK(impl == "scalar");
#endif
  CHECK(gemm_threads() == 1);  // the default
  CHECK_THROWS_AS(set_gemm_threads(0), ValueError);
  set_gemm_threads(2);
#if defined(GRADLAB_OPENBLAS)
  CHECK(gemm_threads() == 2);
#else
  CHECK(gemm_threads() == 1);  // single-threaded builds accept and ignore the request
#endif
  // Results do not depend on the thread count (OpenBLAS splits the work above some size).
  const Case c{false, true, 300, 260, 200, 1.0, 0.5, 1};
  CHECK(run_case<float>(&sgemm, c, 7) == 0);
  CHECK(run_case<double>(&dgemm, c, 8) == 0);
  set_gemm_threads(1);
  CHECK(gemm_threads() == 1);
}
