// bench_data.h — setup shared by the training-step benchmarks (bench_eos.cpp, bench_threads.cpp):
// random class labels as both index and one-hot targets, and a snapshot of a model's parameters so
// every timed call starts from the same point.
#pragma once

#include <cstdint>
#include <vector>

#include "gradlab/loss.h"
#include "gradlab/rng.h"
#include "gradlab/tensor.h"

namespace gradlab::bench {

// n labels drawn uniformly from [0, classes) with rng, in order: Targets{index [n], one-hot [n, classes]}.
inline Targets random_class_targets(int64_t n, int64_t classes, Rng& rng) {
  std::vector<int64_t> labels(static_cast<size_t>(n));
  std::vector<double> onehot(static_cast<size_t>(n * classes), 0.0);  // [n, classes] row-major
  for (int64_t i = 0; i < n; ++i) {
    labels[static_cast<size_t>(i)] = static_cast<int64_t>(rng.below(classes));
    onehot[static_cast<size_t>(i * classes + labels[static_cast<size_t>(i)])] = 1.0;
  }
  return Targets{from_indices(labels, {n}), from_vector(onehot, {n, classes})};
}

// Detached copies of params (restored before each timed call).
inline TensorList snapshot(const TensorList& params) {
  TensorList out;
  for (const Tensor& t : params) out.push_back(t.detach().clone());
  return out;
}

}  // namespace gradlab::bench
