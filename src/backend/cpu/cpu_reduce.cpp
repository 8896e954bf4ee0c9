// src/backend/cpu/cpu_reduce.cpp — Sum / Max / Min over any set of axes.
//
// Layout: out has x's ndim with size 1 on the reduced axes (keepdim). The kernel drops
// size-1 axes, moves x's unit-stride axis innermost if it is not already (the order of
// a reduction is free), and merges adjacent axes that are both reduced or both kept and
// contiguous. What remains alternates reduced / kept runs, and the innermost run decides
// the loop shape:
//   A. innermost reduced ("row" reductions: softmax sums over classes, full sums):
//      for every output element, reduce a contiguous run with independent lanes,
//      then combine over the outer reduced axes;
//   B. innermost kept ("column" reductions: bias gradients [4096, 256] -> [1, 256]):
//      for every output run, accumulate whole x rows into a row buffer, so the inner
//      loop is a unit-stride vector add (never a column-by-column strided walk).
//
// Accuracy of sums (a documented choice): every sum, F32 and F64, accumulates in double.
// Row sums add 16 independent lanes over blocks of 256 elements and combine blocks
// pairwise (error ~ log2(n) * eps_double); column sums add rows into a block buffer that
// is flushed into the total every 64 rows (error ~ (64 + rows / 64) * eps_double). For
// F32 results this is below the final rounding to float for any realistic size; the
// double lanes also vectorise (convert + add) so the cost over float lanes is small.
//
// Max / Min propagate NaN (any NaN in a reduced run gives NaN), like torch.max.
//
// Threads (cpu_parallel.h): large reductions split their outputs among threads; a single long
// sum splits along its own pairwise tree (reduce_run_parallel). No split ever changes the
// order in which one output's terms are combined, so results do not depend on the thread count.
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include "cpu_kernels.h"

namespace gradlab {
namespace cpu {
namespace {

constexpr int kLanes = 16;
constexpr int64_t kPairwiseBlock = 256;  // elements per lane block before a pairwise split
constexpr int64_t kColumnBlock = 64;     // rows per flush of the column-sum block buffer

// NaN-propagating max / min: the new value wins if it is larger (smaller) or NaN, and a
// NaN accumulator never loses (x > NaN and x < NaN are false). Written with `|` on
// bools (no short-circuit) so the lane loops stay branch-free and vectorise.
template <class T>
inline T max_nan(T acc, T x) {
  return ((x > acc) | (x != x)) ? x : acc;
}
template <class T>
inline T min_nan(T acc, T x) {
  return ((x < acc) | (x != x)) ? x : acc;
}

// Accumulator type, identity and combine rule of each reduction.
template <ReduceOp OP, class T>
struct Reducer;
template <class T>
struct Reducer<ReduceOp::Sum, T> {
  using Acc = double;
  static Acc identity() { return 0.0; }
  static Acc combine(Acc acc, Acc x) { return acc + x; }
};
template <class T>
struct Reducer<ReduceOp::Max, T> {
  using Acc = T;
  static Acc identity() { return -std::numeric_limits<T>::infinity(); }
  static Acc combine(Acc acc, Acc x) { return max_nan(acc, x); }
};
template <class T>
struct Reducer<ReduceOp::Min, T> {
  using Acc = T;
  static Acc identity() { return std::numeric_limits<T>::infinity(); }
  static Acc combine(Acc acc, Acc x) { return min_nan(acc, x); }
};

// Reduces x[0], x[s], ..., x[(n-1)s] with kLanes independent accumulators (lane k takes
// elements k, k+kLanes, ...), which the compiler keeps in vector registers. Not inlined:
// inlined into the loop nests below, clang (WASM) spills the lanes to memory and max/min
// rows ran 2x slower; one call per run of >= kLanes elements costs nothing measurable.
template <ReduceOp OP, class T>
__attribute__((noinline)) typename Reducer<OP, T>::Acc reduce_lanes(const T* x, int64_t n,
                                                                    int64_t s) {
  using R = Reducer<OP, T>;
  using Acc = typename R::Acc;
  Acc lane[kLanes];
  for (int k = 0; k < kLanes; ++k) lane[k] = R::identity();
  int64_t i = 0;
  if (s == 1) {
    for (; i + kLanes <= n; i += kLanes) {
      const T* xi = x + i;
      // Kept a loop on purpose: GCC otherwise unrolls it fully and then fails to
      // SLP-vectorise max/min's compare-select (4-5x slower); as a loop, GCC and clang
      // vectorise it whole.
#pragma GCC unroll 1
      for (int k = 0; k < kLanes; ++k) lane[k] = R::combine(lane[k], static_cast<Acc>(xi[k]));
    }
  } else {
    for (; i + kLanes <= n; i += kLanes)
      for (int k = 0; k < kLanes; ++k)
        lane[k] = R::combine(lane[k], static_cast<Acc>(x[(i + k) * s]));
  }
  for (; i < n; ++i) lane[0] = R::combine(lane[0], static_cast<Acc>(x[i * s]));
  // Tree combine of the lanes (pairwise, for sums).
  for (int width = kLanes / 2; width > 0; width /= 2)
    for (int k = 0; k < width; ++k) lane[k] = R::combine(lane[k], lane[k + width]);
  return lane[0];
}

// One reduced run. Sums split pairwise above kPairwiseBlock elements (max/min are exact
// in any order, so they need no split).
template <ReduceOp OP, class T>
typename Reducer<OP, T>::Acc reduce_run(const T* x, int64_t n, int64_t s) {
  using R = Reducer<OP, T>;
  if (n < kLanes) {  // short runs (softmax over 10 classes): lanes would only add overhead
    typename R::Acc acc = R::identity();
    for (int64_t i = 0; i < n; ++i) acc = R::combine(acc, static_cast<typename R::Acc>(x[i * s]));
    return acc;
  }
  if (OP != ReduceOp::Sum || n <= kPairwiseBlock) return reduce_lanes<OP, T>(x, n, s);
  const int64_t half = (n / 2) / kLanes * kLanes;
  return reduce_run<OP, T>(x, half, s) + reduce_run<OP, T>(x + half * s, n - half, s);
}

struct ReduceDim {
  int64_t size;
  int64_t x_stride;
  int64_t out_stride;
  bool reduced;
};

// A loop nest over a subset of dims: operand 0 is x, operand 1 is out.
LoopNest<2> nest_of(const ReduceDim* dims, int nd, bool reduced, int skip) {
  LoopNest<2> nest;
  for (int d = 0; d < nd; ++d) {
    if (d == skip || dims[d].reduced != reduced) continue;
    nest.shape[nest.ndim] = dims[d].size;
    nest.strides[0][nest.ndim] = dims[d].x_stride;
    nest.strides[1][nest.ndim] = dims[d].out_stride;
    ++nest.ndim;
  }
  if (nest.ndim == 0) {  // no such dims: one iteration at offset 0
    nest.ndim = 1;
    nest.shape[0] = 1;
  }
  return nest;
}

// A single long run split across threads. Sums take the leaves of reduce_run's own pairwise
// tree down to `depth` levels, reduce the leaves in parallel, and add them back up along the
// same tree, so the result is bit-identical to the serial reduce_run. Max / min are exact in
// any order: contiguous chunks, combined in order.
template <ReduceOp OP, class T>
typename Reducer<OP, T>::Acc reduce_run_parallel(const T* x, int64_t n, int64_t s) {
  using R = Reducer<OP, T>;
  using Acc = typename R::Acc;
  const int tasks = plan_tasks(n, kParallelGrain);
  if (tasks <= 1) return reduce_run<OP, T>(x, n, s);
  if (OP != ReduceOp::Sum) {
    std::vector<Acc> part(static_cast<size_t>(tasks), R::identity());
    run_tasks(tasks, [&](int t) {
      const int64_t begin = n * t / tasks, end = n * (t + 1) / tasks;
      part[static_cast<size_t>(t)] = reduce_run<OP, T>(x + begin * s, end - begin, s);
    });
    Acc acc = R::identity();
    for (Acc p : part) acc = R::combine(acc, p);
    return acc;
  }
  int depth = 0;
  while ((1 << depth) < tasks) ++depth;
  // Mirrors reduce_run: a node is a leaf at the depth limit or where reduce_run stops splitting.
  auto is_leaf = [](int64_t len, int d) { return d == 0 || len <= kPairwiseBlock; };
  auto half_of = [](int64_t len) { return (len / 2) / kLanes * kLanes; };
  std::vector<std::pair<int64_t, int64_t>> leaves;  // (first element, length), in tree order
  std::function<void(int64_t, int64_t, int)> collect = [&](int64_t at, int64_t len, int d) {
    if (is_leaf(len, d)) {
      leaves.emplace_back(at, len);
      return;
    }
    const int64_t half = half_of(len);
    collect(at, half, d - 1);
    collect(at + half, len - half, d - 1);
  };
  collect(0, n, depth);
  std::vector<Acc> value(leaves.size());
  parallel_for(static_cast<int64_t>(leaves.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      value[static_cast<size_t>(i)] = reduce_run<OP, T>(
          x + leaves[static_cast<size_t>(i)].first * s, leaves[static_cast<size_t>(i)].second, s);
  });
  size_t next = 0;
  std::function<Acc(int64_t, int)> combine = [&](int64_t len, int d) -> Acc {
    if (is_leaf(len, d)) return value[next++];
    const int64_t half = half_of(len);
    const Acc left = combine(half, d - 1);
    return left + combine(len - half, d - 1);
  };
  return combine(n, depth);
}

// B for output rows [k_begin, k_end) of `kept` and columns [c_begin, c_end) of each run.
template <ReduceOp OP, class T>
void reduce_columns(const LoopNest<2>& kept, const LoopNest<2>& red, const ReduceDim& in,
                    int64_t k_begin, int64_t k_end, int64_t c_begin, int64_t c_end, const T* xb,
                    T* ob) {
  using R = Reducer<OP, T>;
  using Acc = typename R::Acc;
  const int64_t C = c_end - c_begin, xs = in.x_stride, os = in.out_stride;
  std::vector<Acc> total(static_cast<size_t>(C)), block;
  if (OP == ReduceOp::Sum) block.resize(static_cast<size_t>(C));
  Acc* tot = total.data();
  Acc* blk = block.data();
  for_each_outer_range(kept, 0, k_begin, k_end, [&](const int64_t* koff) {
    for (int64_t j = 0; j < C; ++j) tot[j] = R::identity();
    if (OP == ReduceOp::Sum)
      for (int64_t j = 0; j < C; ++j) blk[j] = 0;
    int64_t rows_in_block = 0;
    for_each_outer(red, 0, [&](const int64_t* roff) {
      const T* row = xb + koff[0] + roff[0] + c_begin * xs;
      Acc* acc = OP == ReduceOp::Sum ? blk : tot;
      if (xs == 1) {
        for (int64_t j = 0; j < C; ++j) acc[j] = R::combine(acc[j], static_cast<Acc>(row[j]));
      } else {
        for (int64_t j = 0; j < C; ++j) acc[j] = R::combine(acc[j], static_cast<Acc>(row[j * xs]));
      }
      if (OP == ReduceOp::Sum && ++rows_in_block == kColumnBlock) {
        for (int64_t j = 0; j < C; ++j) tot[j] += blk[j];
        for (int64_t j = 0; j < C; ++j) blk[j] = 0;
        rows_in_block = 0;
      }
    });
    if (OP == ReduceOp::Sum)
      for (int64_t j = 0; j < C; ++j) tot[j] += blk[j];
    T* o = ob + koff[1] + c_begin * os;
    for (int64_t j = 0; j < C; ++j) o[j * os] = static_cast<T>(tot[j]);
  });
}

// Threads: every split below is over outputs (or, for one long run, along the pairwise
// tree), never over the order in which one output's terms are added: results are the same
// for every thread count.
template <ReduceOp OP, class T>
void reduce_typed(const ReduceDim* dims, int nd, const T* xb, T* ob) {
  using R = Reducer<OP, T>;
  using Acc = typename R::Acc;
  const ReduceDim& in = dims[nd - 1];
  const LoopNest<2> kept = nest_of(dims, nd, false, nd - 1);
  const LoopNest<2> red = nest_of(dims, nd, true, nd - 1);
  const int64_t outputs = outer_count(kept, 0), runs = outer_count(red, 0);
  const int64_t per_output = runs * in.size;  // elements of x behind each output element
  const int64_t output_grain =
      std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(per_output, 1));

  // A loop nest with one dim of size 1 stands for "no such dims".
  const bool single_run = red.ndim == 1 && red.shape[0] == 1;
  if (in.reduced && single_run) {  // A, only the innermost run is reduced (row reductions)
    if (outputs == 1) {
      ob[0] = static_cast<T>(reduce_run_parallel<OP, T>(xb, in.size, in.x_stride));
      return;
    }
    parallel_for(outputs, output_grain, [&](int64_t begin, int64_t end) {
      for_each_outer_range(kept, 0, begin, end, [&](const int64_t* koff) {
        ob[koff[1]] = static_cast<T>(reduce_run<OP, T>(xb + koff[0], in.size, in.x_stride));
      });
    });
    return;
  }
  if (in.reduced) {  // A: each output element reduces contiguous-ish runs of x
    parallel_for(outputs, output_grain, [&](int64_t begin, int64_t end) {
      for_each_outer_range(kept, 0, begin, end, [&](const int64_t* koff) {
        Acc acc = R::identity();
        for_each_outer(red, 0, [&](const int64_t* roff) {
          acc = R::combine(acc, reduce_run<OP, T>(xb + koff[0] + roff[0], in.size, in.x_stride));
        });
        ob[koff[1]] = static_cast<T>(acc);
      });
    });
    return;
  }

  // B: each output run of length C accumulates rows of x elementwise. Split the output runs
  // among threads when there are enough of them, else the C columns of each run.
  const int64_t C = in.size;
  const int64_t runs_out = outputs;  // output runs (each C elements long)
  const int64_t work = runs_out * runs * C;
  if (runs_out >= cpu_threads() || plan_tasks(work, kParallelGrain) <= 1) {
    parallel_for(runs_out, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(runs * C, 1)),
                 [&](int64_t begin, int64_t end) {
                   reduce_columns<OP, T>(kept, red, in, begin, end, 0, C, xb, ob);
                 });
  } else {
    parallel_for(C, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(runs * runs_out, 1)),
                 [&](int64_t c0, int64_t c1) {
                   reduce_columns<OP, T>(kept, red, in, 0, runs_out, c0, c1, xb, ob);
                 });
  }
}

}  // namespace

void reduce(ReduceOp op, const View& x, const View& out) {
  if (x.ndim != out.ndim)
    fail<ShapeError>("reduce: x shape ", view_shape_str(x), " vs out shape ", view_shape_str(out),
                     " (keepdim layout needs equal ndim)");
  for (int d = 0; d < x.ndim; ++d)
    if (out.shape[d] != 1 && out.shape[d] != x.shape[d])
      fail<ShapeError>("reduce: out shape ", view_shape_str(out), " does not match x shape ",
                       view_shape_str(x), " with size 1 on reduced axes");
  if (x.dtype != out.dtype)
    fail<DTypeError>("reduce: x is ", dtype_name(x.dtype), " but out is ", dtype_name(out.dtype));
  if (out.numel() == 0) return;
  if (x.numel() == 0) {  // reducing over an empty axis
    if (op != ReduceOp::Sum)
      fail<ValueError>("reduce: max/min over an empty axis of x shape ", view_shape_str(x));
    fill(out, 0.0);
    return;
  }

  // Dims of size > 1; a reduced dim writes every element to the same out slot (stride 0).
  ReduceDim dims[kMaxDims];
  int nd = 0;
  for (int d = 0; d < x.ndim; ++d) {
    if (x.shape[d] == 1) continue;
    const bool reduced = out.shape[d] == 1;
    dims[nd++] = {x.shape[d], x.strides[d], reduced ? 0 : out.strides[d], reduced};
  }
  if (nd == 0) dims[nd++] = {1, 0, 0, false};
  // Put x's unit-stride dim innermost so the inner loop reads memory in order.
  if (dims[nd - 1].x_stride != 1)
    for (int d = nd - 2; d >= 0; --d)
      if (dims[d].x_stride == 1) {
        const ReduceDim unit = dims[d];
        for (int e = d; e < nd - 1; ++e) dims[e] = dims[e + 1];
        dims[nd - 1] = unit;
        break;
      }
  // Merge adjacent dims of the same kind that are contiguous in both x and out.
  int merged = 0;
  for (int d = 0; d < nd; ++d) {
    ReduceDim* prev = merged > 0 ? &dims[merged - 1] : nullptr;
    if (prev && prev->reduced == dims[d].reduced &&
        prev->x_stride == dims[d].x_stride * dims[d].size &&
        prev->out_stride == dims[d].out_stride * dims[d].size) {
      prev->size *= dims[d].size;
      prev->x_stride = dims[d].x_stride;
      prev->out_stride = dims[d].out_stride;
    } else {
      dims[merged++] = dims[d];
    }
  }

  dispatch_float(x.dtype, "reduce", [&](auto tag) {
    using T = decltype(tag);
    const T* xb = static_cast<const T*>(x.data);
    T* ob = static_cast<T*>(out.data);
    switch (op) {
      case ReduceOp::Sum:
        return reduce_typed<ReduceOp::Sum, T>(dims, merged, xb, ob);
      case ReduceOp::Max:
        return reduce_typed<ReduceOp::Max, T>(dims, merged, xb, ob);
      case ReduceOp::Min:
        return reduce_typed<ReduceOp::Min, T>(dims, merged, xb, ob);
    }
  });
}

}  // namespace cpu
}  // namespace gradlab
