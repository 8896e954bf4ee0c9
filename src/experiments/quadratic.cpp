// quadratic_gd: gradient descent on f(x) = ½ xᵀAx with a chosen spectrum (see quadratic.h).
//
// Plain double loops, no Eigen: d is small, and fixed-order sums with -ffp-contract=off
// give the same bits natively and in WebAssembly (DESIGN.md §6), so the browser's
// oscillation at η = 2/L looks exactly like the native one.
#include "experiments/quadratic.h"

#include <algorithm>
#include <cmath>

#include "gradlab/optim.h"
#include "gradlab/rng.h"
#include "gradlab/text.h"

namespace gradlab {

namespace {

// A rotated A is stored as its d×d eigenvector matrix.
constexpr size_t kMaxRotatedDim = 4096;

std::string num(double v) {
  TextBuilder os;  // 6 significant digits, like printf's %g
  os << v;
  return os.str();
}

// A Haar-random orthogonal matrix (d, d), row-major: Gram–Schmidt on the columns of a
// Gaussian matrix, each projection done twice ("twice is enough", Giraud et al. 2005) so
// the columns are orthonormal to rounding even for large d. This is the Q of the QR
// factorisation with R's diagonal positive, which makes Q Haar-distributed
// (Mezzadri 2007, "How to generate random matrices from the classical compact groups").
std::vector<double> random_orthogonal(size_t d, Rng& rng) {
  std::vector<double> q(d * d);
  for (double& v : q) v = rng.normal();  // row-major Gaussian G (d, d)
  std::vector<double> col(d);
  for (size_t j = 0; j < d; ++j) {
    for (size_t r = 0; r < d; ++r) col[r] = q[r * d + j];
    for (int pass = 0; pass < 2; ++pass) {
      for (size_t k = 0; k < j; ++k) {
        double dot = 0;
        for (size_t r = 0; r < d; ++r) dot += q[r * d + k] * col[r];
        for (size_t r = 0; r < d; ++r) col[r] -= dot * q[r * d + k];
      }
    }
    double norm = 0;
    for (size_t r = 0; r < d; ++r) norm += col[r] * col[r];
    norm = std::sqrt(norm);
    if (!(norm > 0)) fail<ValueError>("quadratic: degenerate random matrix (column ", j, ")");
    for (size_t r = 0; r < d; ++r) q[r * d + j] = col[r] / norm;
  }
  return q;
}

}  // namespace

QuadraticExperiment::QuadraticExperiment(const Json& config) : config_(config) {
  const Json& quad = config.at("quadratic");
  lambda_ = quad.at("eigenvalues").get<std::vector<double>>();
  if (lambda_.empty()) fail<ConfigError>("quadratic.eigenvalues: give at least one eigenvalue");
  const size_t d = lambda_.size();
  lambda_max_ = *std::max_element(lambda_.begin(), lambda_.end());
  rotated_ = quad.at("rotate").get<bool>();

  const Json& optim = config.at("optim");
  const std::string type = optim.at("type").get<std::string>();
  if (type != "gd")
    fail<ConfigError>("optim.type: quadratic_gd runs plain gradient descent (\"gd\"), got \"", type,
                      "\"");
  if (optim.at("momentum").get<double>() != 0 || optim.at("nesterov").get<bool>() ||
      optim.at("weight_decay").get<double>() != 0)
    fail<ConfigError>(
        "optim: quadratic_gd runs plain gradient descent; optim.momentum, "
        "optim.nesterov and optim.weight_decay must stay 0 / false");

  const uint64_t seed = config.at("seed").get<uint64_t>();
  if (rotated_) {
    if (d > kMaxRotatedDim)
      fail<ConfigError>("quadratic.rotate: ", d, " dimensions need a dense ", d, "x", d,
                        " eigenvector matrix; use at most ", kMaxRotatedDim,
                        " eigenvalues, or rotate: false");
    Rng rotation_rng(seed, 1);
    q_ = random_orthogonal(d, rotation_rng);
  }
  if (quad.contains("x0")) {
    x_ = quad["x0"].get<std::vector<double>>();
    if (x_.size() != d)
      fail<ConfigError>("quadratic.x0: ", x_.size(), " values but quadratic.eigenvalues has ", d,
                        " (one per dimension)");
  } else {
    Rng start_rng(seed, 5);
    x_.resize(d);
    for (double& v : x_) v = start_rng.normal();
  }
  initial_loss_ = loss();

  const Json& train = config.at("train");
  if (!train.contains("steps"))
    fail<ConfigError>("train.steps: quadratic_gd counts steps (train.epochs has no meaning here)");
  total_steps_ = train.at("steps").get<int64_t>();
  log_every_ = train.at("log_every").get<int64_t>();
}

std::vector<double> QuadraticExperiment::eigen_coordinates() const {
  if (!rotated_) return x_;
  const size_t d = lambda_.size();
  std::vector<double> c(d, 0.0);  // c = Qᵀx
  for (size_t r = 0; r < d; ++r)
    for (size_t j = 0; j < d; ++j) c[j] += q_[r * d + j] * x_[r];
  return c;
}

std::vector<double> QuadraticExperiment::apply_a(const std::vector<double>& x) const {
  const size_t d = lambda_.size();
  std::vector<double> out(d, 0.0);
  if (!rotated_) {
    for (size_t i = 0; i < d; ++i) out[i] = lambda_[i] * x[i];
    return out;
  }
  // A x = Q (λ ∘ Qᵀx)
  std::vector<double> c(d, 0.0);
  for (size_t r = 0; r < d; ++r)
    for (size_t j = 0; j < d; ++j) c[j] += q_[r * d + j] * x[r];
  for (size_t j = 0; j < d; ++j) c[j] *= lambda_[j];
  for (size_t r = 0; r < d; ++r)
    for (size_t j = 0; j < d; ++j) out[r] += q_[r * d + j] * c[j];
  return out;
}

double QuadraticExperiment::loss() const {
  // f = ½ Σ λᵢ cᵢ², the same as ½ xᵀAx without forming A.
  const std::vector<double> c = eigen_coordinates();
  double f = 0;
  for (size_t i = 0; i < c.size(); ++i) f += lambda_[i] * c[i] * c[i];
  return 0.5 * f;
}

std::string QuadraticExperiment::explain_divergence(double lr, double loss_value) const {
  TextBuilder os;
  // The eigen-direction that blows up fastest.
  size_t worst = 0;
  double worst_factor = -1;
  for (size_t i = 0; i < lambda_.size(); ++i) {
    double f = std::abs(1 - lr * lambda_[i]);
    if (f > worst_factor) {
      worst_factor = f;
      worst = i;
    }
  }
  const double lambda = lambda_[worst];
  if (worst_factor > 1) {
    os << "|1 − ηλ| = " << num(worst_factor) << " > 1 for λ = " << num(lambda)
       << " (quadratic.eigenvalues[" << worst << "]";
    os << (lambda == lambda_max_ ? ", the largest): " : "): ");
    if (lambda > 0)
      os << "η = " << num(lr) << " exceeds 2/λ = " << num(2 / lambda)
         << ", so that eigen-coordinate grows " << num(worst_factor) << "x per step";
    else
      os << "a direction of non-positive curvature grows under GD for every η > 0";
    os << "; ";
  }
  if (std::isfinite(loss_value))
    os << "the loss reached " << num(loss_value) << ", more than " << num(kDivergenceFactor)
       << " x its initial value " << num(initial_loss_) << ", at step " << step_;
  else
    os << "the loss became " << (std::isnan(loss_value) ? "NaN" : "infinite") << " at step "
       << step_;
  return os.str();
}

std::optional<Json> QuadraticExperiment::step() {
  if (done()) return std::nullopt;
  const double lr = scheduled_lr(config_.at("optim"), step_, total_steps_);
  const std::vector<double> c = eigen_coordinates();
  double f = 0, grad_sq = 0, x_sq = 0;
  bool coords_finite = true;
  for (size_t i = 0; i < c.size(); ++i) {
    f += lambda_[i] * c[i] * c[i];
    grad_sq += (lambda_[i] * c[i]) * (lambda_[i] * c[i]);  // ‖Ax‖² = Σ (λᵢcᵢ)² (Q orthogonal)
    x_sq += x_[i] * x_[i];
    coords_finite = coords_finite && std::isfinite(c[i]);
  }
  f *= 0.5;
  const bool blown =
      !std::isfinite(f) ||
      (initial_loss_ != 0 && std::abs(f) > kDivergenceFactor * std::abs(initial_loss_));
  std::optional<Json> row;
  if (step_ % log_every_ == 0 || step_ == total_steps_ - 1 || blown) {
    Json r = Json::object();
    r["step"] = step_;
    if (std::isfinite(f)) r["loss"] = f;
    if (coords_finite) r["coords"] = c;
    std::vector<double> contraction(lambda_.size());
    for (size_t i = 0; i < lambda_.size(); ++i) contraction[i] = std::abs(1 - lr * lambda_[i]);
    r["contraction"] = contraction;
    r["sharpness"] = lambda_max_;
    if (lr > 0) r["threshold"] = 2 / lr;
    r["lr"] = lr;
    if (std::isfinite(grad_sq)) r["grad_norm"] = std::sqrt(grad_sq);
    if (std::isfinite(x_sq)) r["param_norm"] = std::sqrt(x_sq);
    row = r;
  }
  if (blown) {
    // No update: steps_done() stays at the step whose loss blew up (diverged_at_step).
    diverged_ = true;
    divergence_reason_ = explain_divergence(lr, f);
    return row;
  }
  const std::vector<double> g = apply_a(x_);  // ∇f = Ax
  for (size_t i = 0; i < x_.size(); ++i) x_[i] -= lr * g[i];
  ++step_;
  return row;
}

Json QuadraticExperiment::summary(const std::vector<Json>& rows) const {
  const double lr = config_.at("optim").at("lr").get<double>();
  Json s = Json::object();
  s["kind"] = "quadratic_gd";
  s["dim"] = lambda_.size();
  s["sharpness"] = lambda_max_;
  s["lambda_min"] = *std::min_element(lambda_.begin(), lambda_.end());
  if (lr > 0) s["threshold"] = 2 / lr;
  // At the base lr: the largest |1 − ηλᵢ| decides the fate of the run.
  double max_contraction = 0;
  bool on_edge = false;
  for (double l : lambda_) {
    max_contraction = std::max(max_contraction, std::abs(1 - lr * l));
    on_edge = on_edge || std::abs(lr * l - 2) <= 2e-12;
  }
  s["max_contraction"] = max_contraction;
  s["regime"] = max_contraction > 1 + 1e-12 ? "diverges" : on_edge ? "oscillates" : "converges";
  s["initial_loss"] = initial_loss_;
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    if (!it->contains("loss")) continue;
    s["final_loss"] = (*it)["loss"];
    if (initial_loss_ != 0) s["loss_ratio"] = (*it)["loss"].get<double>() / initial_loss_;
    break;
  }
  return s;
}

void QuadraticExperiment::save_state(NamedTensors& tensors, Json& state) const {
  tensors.emplace_back("x", from_vector(x_, {static_cast<int64_t>(x_.size())}, DType::F64));
  state["step"] = step_;
  state["diverged"] = diverged_;
  state["divergence_reason"] = divergence_reason_;
}

void QuadraticExperiment::load_state(const SafetensorsFile& f, const Json& state) {
  const Tensor* x = f.find("x");
  if (!x) fail<IOError>("checkpoint: missing tensor 'x' (quadratic_gd iterate)");
  std::vector<double> v = x->to_vector();
  if (v.size() != lambda_.size())
    fail<IOError>("checkpoint: x has ", v.size(), " entries, quadratic.eigenvalues has ",
                  lambda_.size());
  x_ = std::move(v);
  step_ = state.at("step").get<int64_t>();
  diverged_ = state.value("diverged", false);
  divergence_reason_ = state.value("divergence_reason", "");
}

NamedTensors QuadraticExperiment::named_params() const {
  return {{"x", from_vector(x_, {static_cast<int64_t>(x_.size())}, DType::F64)}};
}

std::string QuadraticExperiment::description() const {
  const double lr = config_.at("optim").at("lr").get<double>();
  TextBuilder os;
  os << "quadratic_gd: f(x) = ½ xᵀAx in " << lambda_.size() << "-D, λ in ["
     << num(*std::min_element(lambda_.begin(), lambda_.end())) << ", " << num(lambda_max_) << "]"
     << (rotated_ ? " (rotated)" : "") << ", η = " << num(lr);
  if (lambda_max_ > 0) os << " (2/L = " << num(2 / lambda_max_) << ")";
  return os.str();
}

}  // namespace gradlab
