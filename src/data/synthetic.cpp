// synthetic.cpp — seeded toy datasets (data.source = "synthetic").
//
// Each generator draws i.i.d. examples: first the class uniformly from its classes
// (Rng::below), then the input given the class. Training examples come from one stream
// and test examples from another (so changing n_test never changes the training set);
// anything shared by both splits — a teacher network, a separating direction — comes
// from a third. All draws go through gradlab::Rng and the transcendental functions of
// portable_math.h, compiled without FMA, so a seed gives the same bits natively and in
// WebAssembly. docs/data.md gives every generator's exact definition and defaults.
// (The core library is compiled with -ffp-contract=off: see CMakeLists.txt.)

#include <cmath>
#include <memory>

#include "data/data_internal.h"
#include "data/portable_math.h"
#include "gradlab/error.h"

namespace gradlab::data {
namespace {

using nlohmann::json;

// One generator: the sizes of an example and how to draw one.
struct Generator {
  int64_t dim = 2;
  int64_t num_classes = 2;  // 0 = regression
  int64_t target_dim = 0;
  // Writes x[dim] and either *label or y[target_dim].
  std::function<void(Rng& rng, double* x, int64_t* label, double* y)> draw;
};

// Class means of gaussian_mixture, [num_classes, dim]: pairwise `separation` apart when
// they fit on orthogonal axes (mean_c = separation/√2 · e_c), otherwise on a circle in the
// first two coordinates with neighbours `separation` apart (radius separation / (2 sin(π/k))),
// or evenly spaced on the line in one dimension.
std::vector<double> mixture_means(int64_t k, int64_t dim, double separation) {
  std::vector<double> means(static_cast<size_t>(k * dim), 0.0);  // [k, dim]
  if (k <= dim) {
    for (int64_t c = 0; c < k; ++c) means[c * dim + c] = separation / std::sqrt(2.0);
  } else if (dim == 1) {
    for (int64_t c = 0; c < k; ++c) means[c] = (c - 0.5 * (k - 1)) * separation;
  } else {
    double sin_half = 0.0, cos_half = 0.0;
    portable_sin_cos_turns(0.5 / k, sin_half, cos_half);  // sin(π/k)
    const double radius = separation / (2.0 * sin_half);
    for (int64_t c = 0; c < k; ++c) {
      double s = 0.0, co = 0.0;
      portable_sin_cos_turns(static_cast<double>(c) / k, s, co);
      means[c * dim] = radius * co;
      means[c * dim + 1] = radius * s;
    }
  }
  return means;
}

Generator make_generator(const json& p, Rng& shared_rng) {
  const std::string name = p.at("generator").get<std::string>();
  Generator g;
  if (name == "gaussian_mixture") {
    g.dim = p.at("dim").get<int64_t>();
    g.num_classes = p.at("num_classes").get<int64_t>();
    const double sd = p.at("std").get<double>();
    auto means = std::make_shared<std::vector<double>>(
        mixture_means(g.num_classes, g.dim, p.at("separation").get<double>()));
    const int64_t k = g.num_classes, dim = g.dim;
    g.draw = [means, k, dim, sd](Rng& rng, double* x, int64_t* label, double*) {
      const auto c = static_cast<int64_t>(rng.below(static_cast<uint64_t>(k)));
      *label = c;
      for (int64_t j = 0; j < dim; ++j) x[j] = (*means)[c * dim + j] + sd * rng.normal();
    };
  } else if (name == "linearly_separable") {
    g.dim = p.at("dim").get<int64_t>();
    const double margin = p.at("margin").get<double>();
    // The hidden direction: a uniformly random unit vector (a normalised Gaussian).
    auto w = std::make_shared<std::vector<double>>(static_cast<size_t>(g.dim));  // [dim]
    double norm2 = 0.0;
    while (norm2 == 0.0) {
      norm2 = 0.0;
      for (double& wj : *w) {
        wj = shared_rng.normal();
        norm2 += wj * wj;
      }
    }
    for (double& wj : *w) wj /= std::sqrt(norm2);
    const int64_t dim = g.dim;
    // Rejection sampling: x ~ N(0, I) conditioned on |w·x| >= margin; label [w·x > 0].
    g.draw = [w, dim, margin](Rng& rng, double* x, int64_t* label, double*) {
      double score = 0.0;
      do {
        score = 0.0;
        for (int64_t j = 0; j < dim; ++j) {
          x[j] = rng.normal();
          score += (*w)[j] * x[j];
        }
      } while (std::fabs(score) < margin);
      *label = score > 0.0 ? 1 : 0;
    };
  } else if (name == "two_moons") {
    const double noise = p.at("noise").get<double>();
    // Upper half circle (class 0) and the lower one shifted by (1, 0.5) (class 1), at an
    // angle uniform in [0, π).
    g.draw = [noise](Rng& rng, double* x, int64_t* label, double*) {
      *label = static_cast<int64_t>(rng.below(2));
      double s = 0.0, c = 0.0;
      portable_sin_cos_turns(0.5 * rng.uniform(), s, c);
      x[0] = *label == 0 ? c : 1.0 - c;
      x[1] = *label == 0 ? s : 0.5 - s;
      x[0] += noise * rng.normal();
      x[1] += noise * rng.normal();
    };
  } else if (name == "circles") {
    const double noise = p.at("noise").get<double>(), factor = p.at("factor").get<double>();
    g.draw = [noise, factor](Rng& rng, double* x, int64_t* label, double*) {
      *label = static_cast<int64_t>(rng.below(2));
      const double radius = *label == 0 ? 1.0 : factor;
      double s = 0.0, c = 0.0;
      portable_sin_cos_turns(rng.uniform(), s, c);
      x[0] = radius * c + noise * rng.normal();
      x[1] = radius * s + noise * rng.normal();
    };
  } else if (name == "xor") {
    const double noise = p.at("noise").get<double>();
    // A corner (±1, ±1) uniformly, label 1 when its signs differ (XOR), plus noise.
    g.draw = [noise](Rng& rng, double* x, int64_t* label, double*) {
      const double sx = rng.below(2) ? 1.0 : -1.0;
      const double sy = rng.below(2) ? 1.0 : -1.0;
      *label = sx != sy ? 1 : 0;
      x[0] = sx + noise * rng.normal();
      x[1] = sy + noise * rng.normal();
    };
  } else if (name == "spiral") {
    g.num_classes = p.at("num_classes").get<int64_t>();
    const double noise = p.at("noise").get<double>(), turns = p.at("turns").get<double>();
    const int64_t k = g.num_classes;
    // Arm c: radius t ~ U[0, 1), angle 2π(c/k + turns·t), plus noise.
    g.draw = [noise, turns, k](Rng& rng, double* x, int64_t* label, double*) {
      const auto c = static_cast<int64_t>(rng.below(static_cast<uint64_t>(k)));
      *label = c;
      const double t = rng.uniform();
      double s = 0.0, co = 0.0;
      portable_sin_cos_turns(static_cast<double>(c) / k + turns * t, s, co);
      x[0] = t * co + noise * rng.normal();
      x[1] = t * s + noise * rng.normal();
    };
  } else if (name == "teacher_mlp") {
    g.dim = p.at("dim").get<int64_t>();
    g.num_classes = 0;
    g.target_dim = p.at("output_dim").get<int64_t>();
    const double noise = p.at("noise").get<double>();
    // Teacher f(x) = W_L tanh(... tanh(W_1 x)), no biases, W_l [out, in] with entries
    // N(0, 1/in) so every pre-activation has variance ≈ 1 (LeCun init).
    std::vector<int64_t> sizes = {g.dim};
    for (int64_t width : p.at("widths").get<std::vector<int64_t>>()) sizes.push_back(width);
    sizes.push_back(g.target_dim);
    auto weights = std::make_shared<std::vector<std::vector<double>>>();
    for (size_t l = 0; l + 1 < sizes.size(); ++l) {
      std::vector<double> w(static_cast<size_t>(sizes[l + 1] * sizes[l]));  // [out, in]
      const double scale = 1.0 / std::sqrt(static_cast<double>(sizes[l]));
      for (double& v : w) v = scale * shared_rng.normal();
      weights->push_back(std::move(w));
    }
    g.draw = [weights, sizes, noise](Rng& rng, double* x, int64_t*, double* y) {
      std::vector<double> h(static_cast<size_t>(sizes[0]));  // [dim]
      for (double& v : h) v = rng.normal();
      std::copy(h.begin(), h.end(), x);
      for (size_t l = 0; l < weights->size(); ++l) {
        const bool last = l + 1 == weights->size();
        std::vector<double> next(static_cast<size_t>(sizes[l + 1]), 0.0);  // [out]
        for (int64_t o = 0; o < sizes[l + 1]; ++o) {
          double sum = 0.0;
          for (int64_t i = 0; i < sizes[l]; ++i) sum += (*weights)[l][o * sizes[l] + i] * h[i];
          next[o] = last ? sum : portable_tanh(sum);
        }
        h = std::move(next);
      }
      for (size_t o = 0; o < h.size(); ++o) y[o] = h[o] + noise * rng.normal();
    };
  } else if (name == "gaussian_regression") {
    // Pure-noise regression (the central flow's toy, Cohen et al. 2024): x ~ N(0, I_dim) and,
    // independently, y ~ N(0, I_output_dim): a network can only fit it by memorising.
    g.dim = p.at("dim").get<int64_t>();
    g.num_classes = 0;
    g.target_dim = p.at("output_dim").get<int64_t>();
    const int64_t dim = g.dim, out = g.target_dim;
    g.draw = [dim, out](Rng& rng, double* x, int64_t*, double* y) {
      for (int64_t j = 0; j < dim; ++j) x[j] = rng.normal();
      for (int64_t o = 0; o < out; ++o) y[o] = rng.normal();
    };
  } else {
    fail<ConfigError>("data.generator: unknown generator \"", name, "\"");
  }
  return g;
}

SourceSplit draw_split(const Generator& g, Rng& rng, int64_t n) {
  auto x = std::make_shared<std::vector<double>>(static_cast<size_t>(n * g.dim));  // [n, dim]
  SourceSplit split;
  split.n = n;
  if (g.num_classes > 0) split.labels.resize(static_cast<size_t>(n));  // [n]
  split.y.resize(static_cast<size_t>(n * g.target_dim));               // [n, target_dim]
  for (int64_t i = 0; i < n; ++i) {
    int64_t label = 0;
    g.draw(rng, x->data() + i * g.dim, &label, split.y.data() + i * g.target_dim);
    if (g.num_classes > 0) split.labels[static_cast<size_t>(i)] = label;
  }
  const int64_t dim = g.dim;
  split.read_input = [x, dim](int64_t index, double* out) {
    std::copy(x->begin() + index * dim, x->begin() + (index + 1) * dim, out);
  };
  return split;
}

}  // namespace

SourceData generate_synthetic(const DataConfig& config, Rng& rng) {
  // Streams: 0 = what both splits share, 1 = training examples, 2 = test examples.
  Rng shared_rng = rng.split(0), train_rng = rng.split(1), test_rng = rng.split(2);
  const Generator g = make_generator(config.block, shared_rng);
  SourceData source;
  source.name = "synthetic";
  source.details = "generator " + config.block.at("generator").get<std::string>();
  source.train = draw_split(g, train_rng, config.n_train.value_or(0));
  source.test = draw_split(g, test_rng, config.n_test.value_or(0));
  source.input_shape = {g.dim};
  source.num_classes = g.num_classes;
  source.target_dim = g.target_dim;
  return source;
}

}  // namespace gradlab::data
