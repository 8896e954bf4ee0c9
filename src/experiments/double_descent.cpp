// double_descent with random features: the closed-form fit behind Belkin et al.'s
// model-wise curve (see double_descent.h for the maths and the scaling).
//
// Linear algebra in double through gradlab/linalg.h (the products, the symmetric eigensolver for
// the pseudo-inverse): the Gram matrix at N ≈ n has condition number κ(Φ)², and float32 would
// drown the very peak we want to show.
#include "experiments/double_descent.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>

#include "gradlab/error.h"
#include "gradlab/linalg.h"
#include "gradlab/rng.h"

namespace gradlab {

namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;

// Operand flags for matmul (gradlab/linalg.h: the project's GEMM, OpenBLAS natively, the SIMD
// kernels in WASM): the three big products of a fit (features of both splits, the Gram matrix)
// are ~95% of its flops.
constexpr Transpose kN = Transpose::no, kT = Transpose::yes;

// Inputs of a split as a matrix (rows, d).
Matrix inputs(const DataSplit& s, int64_t d) {
  Matrix x(s.n, d);
  std::copy_n(s.x.begin(), s.n * d, x.data.begin());
  return x;
}

// One-hot targets (rows, K).
Matrix onehot(const DataSplit& s, int64_t classes) {
  Matrix y(s.n, classes);
  for (int64_t i = 0; i < s.n; ++i) y(i, s.labels[static_cast<size_t>(i)]) = 1.0;
  return y;
}

// ‖x‖₂ of all entries, summed in order.
double frobenius_norm(const Matrix& x) {
  double sum = 0.0;
  for (double v : x.data) sum += v * v;
  return std::sqrt(sum);
}

// Moore–Penrose pseudo-inverse (or ridge inverse) of a symmetric PSD matrix G + λI applied to
// B: U diag(1/(μ + λ)) Uᵀ B over the eigenpairs (μ, u) of G, dropping μ + λ below tol. This
// is the SVD-based pinv of the feature matrix expressed through its Gram matrix.
Matrix psd_solve(const Matrix& gram, const Matrix& rhs, double ridge, int64_t max_dim) {
  const int64_t r = gram.rows;
  SymmetricEigen eig;
  try {
    eig = symmetric_eigen(gram, EigenVectors::yes);
  } catch (const Error& e) {
    fail<ValueError>("double_descent: eigendecomposition of the ", r, "x", r,
                     " Gram matrix failed: ", e.what());
  }
  std::vector<double> mu(static_cast<size_t>(r));  // (r) ascending
  for (int64_t i = 0; i < r; ++i) mu[i] = eig.values[i] + ridge;
  const double top = std::max(mu.back(), 0.0);
  const double tol = static_cast<double>(max_dim) * std::numeric_limits<double>::epsilon() * top;
  const Matrix ut(r, r, std::move(eig.vectors));  // (r, r) row i = u_i
  Matrix proj = matmul(ut, kN, rhs, kN);  // (r, K) Uᵀ B
  for (int64_t i = 0; i < r; ++i) {
    const double inv = mu[i] > tol ? 1.0 / mu[i] : 0.0;
    for (int64_t j = 0; j < proj.cols; ++j) proj(i, j) *= inv;
  }
  return matmul(ut, kT, proj, kN);  // (r, K) U diag(1/μ) Uᵀ B
}

// Fraction of rows whose argmax (the first, on ties) differs from the label, and ½‖pred − y‖²
// mean over rows.
void score(const Matrix& pred, const DataSplit& s, const Matrix& y, double& error, double& loss) {
  int64_t wrong = 0;
  double squared = 0.0;
  for (int64_t i = 0; i < s.n; ++i) {
    int64_t arg = 0;
    for (int64_t j = 1; j < pred.cols; ++j)
      if (pred(i, j) > pred(i, arg)) arg = j;
    wrong += arg != s.labels[static_cast<size_t>(i)];
    for (int64_t j = 0; j < pred.cols; ++j) {
      const double diff = pred(i, j) - y(i, j);
      squared += diff * diff;
    }
  }
  error = s.n ? static_cast<double>(wrong) / static_cast<double>(s.n) : 0.0;
  loss = s.n ? 0.5 * squared / static_cast<double>(s.n) : 0.0;
}

}  // namespace

Json fit_random_features(const Dataset& data, const RandomFeaturesSpec& spec, uint64_t seed,
                         std::vector<double>* coefficients) {
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t d = data.input_size();
  const int64_t n = data.train.n;
  const int64_t m = data.test.n;
  const int64_t classes = data.num_classes;
  const int64_t big_n = spec.n_features;
  if (big_n < 1) fail<ConfigError>("model.n_features: must be at least 1, got ", big_n);
  if (n == 0) fail<ConfigError>("data: the training set is empty");
  const double sigma = spec.bandwidth > 0 ? spec.bandwidth : std::sqrt(static_cast<double>(d));

  // V (N, d), b (N): row j from stream position j, so features are nested across N.
  Rng rng(seed, 11);
  Matrix v(big_n, d);
  std::vector<double> b(static_cast<size_t>(big_n));  // (N)
  for (int64_t j = 0; j < big_n; ++j) {
    for (int64_t k = 0; k < d; ++k) v(j, k) = rng.normal() / sigma;
    b[j] = spec.fourier ? rng.uniform(0.0, kTwoPi) : rng.normal();
  }
  const double scale = std::sqrt(2.0 / static_cast<double>(big_n));
  auto features = [&](const Matrix& x) {  // (rows, d) -> (rows, N)
    Matrix z = matmul(x, kN, v, kT);
    for (int64_t i = 0; i < z.rows; ++i) {
      for (int64_t j = 0; j < big_n; ++j) {
        const double pre = z(i, j) + b[j];
        z(i, j) = scale * (spec.fourier ? std::cos(pre) : std::max(pre, 0.0));
      }
    }
    return z;
  };

  const Matrix phi = features(inputs(data.train, d));  // (n, N)
  const Matrix y = onehot(data.train, classes);        // (n, K)
  Matrix w;                                            // (N, K)
  if (big_n <= n) {
    const Matrix gram = matmul(phi, kT, phi, kN);  // (N, N)
    w = psd_solve(gram, matmul(phi, kT, y, kN), spec.ridge, n);
  } else {
    const Matrix gram = matmul(phi, kN, phi, kT);  // (n, n)
    w = matmul(phi, kT, psd_solve(gram, y, spec.ridge, big_n), kN);
  }

  Json row = Json::object();
  row["n_features"] = big_n;
  row["n_params"] = big_n * classes;
  row["n_train"] = n;
  row["ridge"] = spec.ridge;
  row["bandwidth"] = sigma;
  double train_error = 0, train_loss = 0;
  score(matmul(phi, kN, w, kN), data.train, y, train_error, train_loss);
  if (std::isfinite(train_loss)) row["loss"] = train_loss;
  row["train_error"] = train_error;
  row["train_acc"] = 1.0 - train_error;
  if (m > 0) {
    const Matrix phi_test = features(inputs(data.test, d));  // (m, N)
    double test_error = 0, test_loss = 0;
    score(matmul(phi_test, kN, w, kN), data.test, onehot(data.test, classes), test_error,
          test_loss);
    if (std::isfinite(test_loss)) row["test_loss"] = test_loss;
    row["test_error"] = test_error;
    row["test_acc"] = 1.0 - test_error;
  }
  const double w_norm = frobenius_norm(w);
  if (std::isfinite(w_norm)) row["param_norm"] = w_norm;
  row["fit_time_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (coefficients) *coefficients = w.data;
  return row;
}

DoubleDescentExperiment::DoubleDescentExperiment(const Json& config) : config_(config) {
  const Json& model = config.at("model");
  const std::string type = model.at("type").get<std::string>();
  if (type != "random_features")
    fail<ConfigError>("model.type: double_descent fits random features in closed form; set "
                      "\"random_features\" (got \"", type, "\")");
  // The fit is least squares on one-hot targets; a `loss` key does not apply (validation).
  spec_.n_features = model.at("n_features").get<int64_t>();
  if (spec_.n_features < 1)
    fail<ConfigError>("model.n_features: must be at least 1, got ", spec_.n_features);
  const std::string features = model.at("features").get<std::string>();
  if (features != "relu" && features != "fourier")
    fail<ConfigError>("model.features: expected \"relu\" or \"fourier\", got \"", features, "\"");
  spec_.fourier = features == "fourier";
  spec_.ridge = model.at("ridge").get<double>();
  if (!(spec_.ridge >= 0)) fail<ConfigError>("model.ridge: must be ≥ 0, got ", spec_.ridge);

  data_ = load_dataset(config.at("data"), config.at("seed").get<uint64_t>());
  if (data_.is_regression() || !data_.label_shape.empty())
    fail<ConfigError>("data: double_descent needs a classification data set (one label per "
                      "example); got ", data_.description);
  if (data_.train.n == 0) fail<ConfigError>("data: the training set is empty");
  const double d = static_cast<double>(data_.input_size());
  spec_.bandwidth = model.contains("bandwidth") ? model["bandwidth"].get<double>() : std::sqrt(d);
  if (!(spec_.bandwidth > 0)) fail<ConfigError>("model.bandwidth: must be > 0, got ", spec_.bandwidth);
}

std::string DoubleDescentExperiment::description() const {
  return std::string("double_descent: ") + std::to_string(spec_.n_features) + " " +
         (spec_.fourier ? "Fourier" : "ReLU") + " random features, ridge " +
         std::to_string(spec_.ridge) + ", on " + data_.description;
}

std::optional<Json> DoubleDescentExperiment::step() {
  if (fitted_) return std::nullopt;
  Json row = fit_random_features(data_, spec_, config_.at("seed").get<uint64_t>(), &coefficients_);
  row["step"] = 0;
  result_ = row;
  fitted_ = true;
  return row;
}

Json DoubleDescentExperiment::summary(const std::vector<Json>& rows) const {
  Json s = result_.is_object() ? result_ : (rows.empty() ? Json::object() : rows.back());
  s.erase("step");
  s["kind"] = "double_descent";
  s["features"] = spec_.fourier ? "fourier" : "relu";
  s["n_test"] = data_.test.n;
  return s;
}

// The fit is one step: a checkpoint only records whether it happened (and its row, so a
// resumed run's summary is the same); a resumed run does not refit.
void DoubleDescentExperiment::save_state(NamedTensors&, Json& state) const {
  state["fitted"] = fitted_;
  state["result"] = result_;
}

void DoubleDescentExperiment::load_state(const SafetensorsFile&, const Json& state) {
  fitted_ = state.value("fitted", false);
  result_ = state.value("result", Json());
}

Json double_descent_sweep_summary(const std::vector<Json>& rows) {
  std::map<double, std::vector<const Json*>> by_ridge;
  for (const Json& r : rows)
    if (r.contains("n_features") && r.contains("test_error") && r.contains("param_norm") &&
        r.contains("n_train"))
      by_ridge[r.value("ridge", 0.0)].push_back(&r);
  if (by_ridge.empty()) return network_sweep_summary(rows);
  Json out = Json::array();
  for (auto& entry : by_ridge) {
    // Plain references: clang 14 (the WASM build) cannot capture structured bindings.
    const double ridge = entry.first;
    std::vector<const Json*>& pts = entry.second;
    std::sort(pts.begin(), pts.end(), [](const Json* a, const Json* b) {
      return (*a)["n_features"].get<int64_t>() < (*b)["n_features"].get<int64_t>();
    });
    const int64_t n = (*pts.front())["n_train"].get<int64_t>();
    auto nf = [&](size_t i) { return (*pts[i])["n_features"].get<int64_t>(); };
    auto val = [&](size_t i, const char* k) { return (*pts[i])[k].get<double>(); };
    // The grid point nearest N = n on a log scale.
    size_t at_n = 0;
    for (size_t i = 1; i < pts.size(); ++i)
      if (std::abs(std::log(static_cast<double>(nf(i)) / n)) <
          std::abs(std::log(static_cast<double>(nf(at_n)) / n)))
        at_n = i;
    size_t err_peak = 0, norm_peak = 0;
    for (size_t i = 1; i < pts.size(); ++i) {
      if (val(i, "test_error") > val(err_peak, "test_error")) err_peak = i;
      if (val(i, "param_norm") > val(norm_peak, "param_norm")) norm_peak = i;
    }
    Json best_below = nullptr;
    for (size_t i = 0; i < pts.size(); ++i)
      if (nf(i) < n && (best_below.is_null() || val(i, "test_error") < best_below.get<double>()))
        best_below = val(i, "test_error");
    auto steps_from = [&](size_t i) {
      return static_cast<int64_t>(i) - static_cast<int64_t>(at_n);
    };
    out.push_back({{"ridge", ridge},
                   {"interpolation_threshold", n},
                   {"grid_n_features_at_threshold", nf(at_n)},
                   {"test_error_peak_n_features", nf(err_peak)},
                   {"test_error_peak", val(err_peak, "test_error")},
                   {"test_error_peak_grid_steps_from_threshold", steps_from(err_peak)},
                   {"param_norm_peak_n_features", nf(norm_peak)},
                   {"param_norm_peak", val(norm_peak, "param_norm")},
                   {"param_norm_peak_grid_steps_from_threshold", steps_from(norm_peak)},
                   {"best_test_error_below_threshold", best_below},
                   {"max_n_features", nf(pts.size() - 1)},
                   {"test_error_at_max_n_features", val(pts.size() - 1, "test_error")}});
  }
  return {{"kind", "double_descent"}, {"curves", out}};
}

}  // namespace gradlab
