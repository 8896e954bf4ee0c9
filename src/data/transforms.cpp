// transforms.cpp — label corruption, input randomisation and preprocessing.
//
// The randomisation tests of Zhang, Bengio, Hardt, Recht & Vinyals 2017 ("Understanding
// deep learning requires rethinking generalization", §2): networks fit random labels,
// shuffled pixels (one permutation for every image), random pixels (a permutation per
// image) and Gaussian inputs. Labels are corrupted in the training split only, so test
// accuracy measures generalisation to the clean distribution; input randomisations apply
// to train and test alike (they define a new input distribution).
//
// Notation: n examples, d = input_size features per example, x [n, d] row-major;
// images have input_shape [C, H, W], a "pixel position" is one of the H·W positions.
// Compiled without FMA so that statistics match the WASM build bit for bit.
// (The core library is compiled with -ffp-contract=off: see CMakeLists.txt.)

#include <algorithm>
#include <cmath>

#include "data/data_internal.h"
#include "gradlab/error.h"

namespace gradlab::data {
namespace {

struct FeatureStats {
  std::vector<double> mean, stddev;  // [d] each; population std (divide by n)
};

// Per-feature mean and standard deviation over the training inputs (two passes: the
// centred second pass avoids the cancellation of E[x²] - E[x]²).
FeatureStats training_stats(const Dataset& ds, const std::string& what) {
  const int64_t n = ds.train.n, d = ds.input_size();
  if (n == 0)
    fail<ConfigError>(what, ": needs training examples for its statistics (n_train is 0)");
  FeatureStats stats;
  stats.mean.assign(static_cast<size_t>(d), 0.0);
  stats.stddev.assign(static_cast<size_t>(d), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < d; ++j) stats.mean[j] += ds.train.x[i * d + j];
  }
  for (double& m : stats.mean) m /= static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < d; ++j) {
      const double centred = ds.train.x[i * d + j] - stats.mean[j];
      stats.stddev[j] += centred * centred;
    }
  }
  for (double& s : stats.stddev) s = std::sqrt(s / static_cast<double>(n));
  return stats;
}

// Positions permuted by shuffled/random pixels: H·W for images (the channels of a pixel
// move together, as a pixel does), every feature otherwise.
void pixel_layout(const Dataset& ds, int64_t& channels, int64_t& positions) {
  if (ds.input_shape.size() == 3) {
    channels = ds.input_shape[0];
    positions = ds.input_shape[1] * ds.input_shape[2];
  } else {
    channels = 1;
    positions = ds.input_size();
  }
}

// x_new[c, p] = x[c, perm[p]] for one example.
void permute_example(double* x, const std::vector<int64_t>& perm, int64_t channels,
                     int64_t positions, std::vector<double>& scratch) {
  scratch.assign(x, x + channels * positions);
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t p = 0; p < positions; ++p) x[c * positions + p] = scratch[c * positions + perm[p]];
  }
}

}  // namespace

void corrupt_labels(Dataset& ds, const DataConfig& config, Rng& rng) {
  const int64_t n = ds.train.n;
  const auto k = static_cast<uint64_t>(ds.num_classes);
  std::vector<int64_t>& labels = ds.train.labels;  // [n]
  if (config.randomize == Randomization::labels) {
    // Zhang et al.: "random labels" — every training label drawn uniformly.
    for (int64_t i = 0; i < n; ++i) {
      labels[i] = static_cast<int64_t>(rng.below(k));
      ds.noisy_indices.push_back(i);
    }
  } else if (config.label_noise > 0.0) {
    // Exactly round(p·n) training examples, a uniform random subset, get a uniformly random
    // class (possibly their own, as in Zhang et al.'s "partially corrupted labels"). A fixed
    // count (rather than a coin per label) makes the corrupted fraction exact at small n.
    const auto count =
        static_cast<int64_t>(std::floor(config.label_noise * static_cast<double>(n) + 0.5));
    const std::vector<int64_t> order = rng.permutation(n);
    ds.noisy_indices.assign(order.begin(), order.begin() + count);
    std::sort(ds.noisy_indices.begin(), ds.noisy_indices.end());
    for (int64_t i : ds.noisy_indices) labels[i] = static_cast<int64_t>(rng.below(k));
  }
}

void randomize_inputs(Dataset& ds, Randomization mode, Rng& rng) {
  const int64_t d = ds.input_size();
  int64_t channels = 1, positions = d;
  pixel_layout(ds, channels, positions);
  std::vector<double> scratch;
  if (mode == Randomization::shuffled_pixels) {
    // One permutation of pixel positions, the same for every train and test image.
    const std::vector<int64_t> perm = rng.permutation(positions);
    for (DataSplit* split : {&ds.train, &ds.test}) {
      for (int64_t i = 0; i < split->n; ++i)
        permute_example(&split->x[i * d], perm, channels, positions, scratch);
    }
  } else if (mode == Randomization::random_pixels) {
    // A fresh permutation per image; train and test use separate streams.
    Rng train_rng = rng.split(1), test_rng = rng.split(2);
    for (auto [split, split_rng] :
         {std::pair{&ds.train, &train_rng}, std::pair{&ds.test, &test_rng}}) {
      for (int64_t i = 0; i < split->n; ++i) {
        permute_example(&split->x[i * d], split_rng->permutation(positions), channels, positions,
                        scratch);
      }
    }
  } else if (mode == Randomization::gaussian) {
    // Every input feature j replaced by N(mean_j, std_j²), the training data's per-feature
    // statistics (so the noise images have the dataset's mean image and contrast).
    const FeatureStats stats = training_stats(ds, "data.randomize \"gaussian\"");
    Rng train_rng = rng.split(1), test_rng = rng.split(2);
    for (auto [split, split_rng] :
         {std::pair{&ds.train, &train_rng}, std::pair{&ds.test, &test_rng}}) {
      for (int64_t i = 0; i < split->n; ++i) {
        for (int64_t j = 0; j < d; ++j) {
          split->x[i * d + j] = stats.mean[j] + stats.stddev[j] * split_rng->normal();
        }
      }
    }
  } else {
    fail<ConfigError>("data.randomize: \"", randomization_name(mode),
                      "\" is not an input randomisation");
  }
}

void apply_preprocessing(Dataset& ds, const std::vector<Preprocess>& steps) {
  for (Preprocess step : steps) {
    const int64_t d = ds.input_size();
    if (step == Preprocess::standardize || step == Preprocess::center) {
      // (x - mean_train) / std_train per feature; a constant feature (std 0) is only centred.
      const FeatureStats stats =
          training_stats(ds, std::string("data.preprocess ") + preprocess_name(step));
      const bool scale = step == Preprocess::standardize;
      for (DataSplit* split : {&ds.train, &ds.test}) {
        for (int64_t i = 0; i < split->n; ++i) {
          for (int64_t j = 0; j < d; ++j) {
            double& v = split->x[i * d + j];
            v -= stats.mean[j];
            if (scale && stats.stddev[j] > 0.0) v /= stats.stddev[j];
          }
        }
      }
    } else if (step == Preprocess::downsample2) {
      // 2x2 average pooling, stride 2, floor of odd sizes (PyTorch's AvgPool2d(2)).
      if (ds.input_shape.size() != 3 || ds.input_shape[1] < 2 || ds.input_shape[2] < 2) {
        fail<ConfigError>(
            "data.preprocess downsample2: needs image inputs [C, H, W] with H, W >= 2, "
            "got input shape ",
            shape_str(ds.input_shape));
      }
      const int64_t c_n = ds.input_shape[0], h = ds.input_shape[1], w = ds.input_shape[2];
      const int64_t h2 = h / 2, w2 = w / 2, d2 = c_n * h2 * w2;
      for (DataSplit* split : {&ds.train, &ds.test}) {
        std::vector<double> pooled(static_cast<size_t>(split->n * d2));  // [n, C, H/2, W/2]
        for (int64_t i = 0; i < split->n; ++i) {
          const double* in = &split->x[i * d];
          for (int64_t c = 0; c < c_n; ++c) {
            for (int64_t r = 0; r < h2; ++r) {
              for (int64_t q = 0; q < w2; ++q) {
                const double* top = in + (c * h + 2 * r) * w + 2 * q;
                pooled[i * d2 + (c * h2 + r) * w2 + q] =
                    0.25 * ((top[0] + top[1]) + (top[w] + top[w + 1]));
              }
            }
          }
        }
        split->x = std::move(pooled);
      }
      ds.input_shape = {c_n, h2, w2};
    } else if (step == Preprocess::unit_norm) {
      // Each example scaled to unit Euclidean norm (margin theory, e.g. Soudry et al. 2018,
      // states bounds for ||x|| <= 1); an all-zero example stays zero.
      for (DataSplit* split : {&ds.train, &ds.test}) {
        for (int64_t i = 0; i < split->n; ++i) {
          double norm2 = 0.0;
          for (int64_t j = 0; j < d; ++j) norm2 += split->x[i * d + j] * split->x[i * d + j];
          if (norm2 == 0.0) continue;
          const double norm = std::sqrt(norm2);
          for (int64_t j = 0; j < d; ++j) split->x[i * d + j] /= norm;
        }
      }
    }
  }
}

}  // namespace gradlab::data
