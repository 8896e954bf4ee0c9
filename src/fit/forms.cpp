// forms.cpp — the scaling-law forms as log-sum-exps of their internal parameters, the Huber
// objective of Hoffmann et al.'s approach 3 with its gradient, and the default starting grids.
//
// θ per form (log L̂ and what the reported parameters are):
//   chinchilla  θ = (a, b, e, α, β):  log L̂ = LSE(a − α log N, b − β log D, e)
//               E = e^e, A = e^a, B = e^b
//   power       θ = (a, e, α):        log L̂ = LSE(a − α log X, e)
//               E = e^e, A = e^a, X_c = A^(1/α)   (L = E + A X^−α = E + (X_c/X)^α)
//   kaplan      θ = (a, α):           log L̂ = a − α log X
//               A = e^a, X_c = A^(1/α)            (L = (X_c/X)^α)
//   kaplan_nd   θ = (n, d, r, α_D):   log L̂ = α_D · LSE(r (n − log N), d − log D)
//               N_c = e^n, D_c = e^d, α_N = r α_D
//               (L = [(N_c/N)^{α_N/α_D} + D_c/D]^{α_D}, Kaplan et al. 2020 eq. 1.5: N and D
//               coupled, unlike chinchilla's sum; r = α_N/α_D is fitted so that no parameter
//               divides by another)
// Huber_δ(r) = r²/2 for |r| <= δ, δ(|r| − δ/2) beyond (Huber 1964), as in Hoffmann et al.
#include <algorithm>
#include <cmath>

#include "gradlab/error.h"
#include "gradlab/fit.h"

namespace gradlab::fit {

Form parse_form(const std::string& name) {
  if (name == "chinchilla") return Form::Chinchilla;
  if (name == "power") return Form::Power;
  if (name == "kaplan") return Form::Kaplan;
  if (name == "kaplan_nd") return Form::KaplanND;
  if (name == "isoflop") return Form::Isoflop;
  fail<ConfigError>("--form: unknown form \"", name,
                    "\" (expected chinchilla, power, kaplan, kaplan_nd or isoflop)");
}

const char* form_name(Form form) {
  switch (form) {
    case Form::Chinchilla: return "chinchilla";
    case Form::Power: return "power";
    case Form::Kaplan: return "kaplan";
    case Form::KaplanND: return "kaplan_nd";
    case Form::Isoflop: return "isoflop";
  }
  return "?";
}

std::vector<std::string> internal_parameters(Form form) {
  switch (form) {
    case Form::Chinchilla: return {"a", "b", "e", "alpha", "beta"};
    case Form::Power: return {"a", "e", "alpha"};
    case Form::Kaplan: return {"a", "alpha"};
    case Form::KaplanND: return {"n", "d", "ratio", "alpha_d"};
    case Form::Isoflop: break;
  }
  fail<ConfigError>("form ", form_name(form), " has no approach-3 parameters");
}

Json default_grid(Form form) {
  // Hoffmann et al. 2022, App. D.2: α, β ∈ {0, 0.5, …, 2}, e ∈ {−1, −0.5, …, 1},
  // a, b ∈ {0, 5, …, 25}: 5·5·5·6·6 = 4500 starts. The one-x forms use the same values for
  // their parameters (power: 150 starts, kaplan: 30; kaplan's objective is convex in θ).
  const Json exponents = {0.0, 0.5, 1.0, 1.5, 2.0};
  const Json offsets = {0.0, 5.0, 10.0, 15.0, 20.0, 25.0};
  const Json e = {-1.0, -0.5, 0.0, 0.5, 1.0};
  switch (form) {
    case Form::Chinchilla:
      return {{"a", offsets}, {"b", offsets}, {"e", e}, {"alpha", exponents}, {"beta", exponents}};
    case Form::Power: return {{"a", offsets}, {"e", e}, {"alpha", exponents}};
    case Form::Kaplan: return {{"a", offsets}, {"alpha", exponents}};
    case Form::KaplanND:
      // log N_c, log D_c over the same decades as a, b (Kaplan et al.: 32.1 and 31.6); the
      // ratio α_N/α_D around theirs (0.8); α_D ∈ {0.05, …, 0.5}: 6·6·5·4 = 720 starts.
      return {{"n", {5.0, 10.0, 15.0, 20.0, 25.0, 30.0}}, {"d", {5.0, 10.0, 15.0, 20.0, 25.0, 30.0}},
              {"ratio", {0.25, 0.5, 1.0, 1.5, 2.0}}, {"alpha_d", {0.05, 0.1, 0.2, 0.5}}};
    case Form::Isoflop: break;
  }
  return nullptr;
}

namespace {

// log(e^u0 + … ) and the softmax weights w (∂LSE/∂u_k), stably.
double log_sum_exp(const double* u, int k, double* w) {
  double m = u[0];
  for (int i = 1; i < k; ++i) m = std::max(m, u[i]);
  double s = 0;
  for (int i = 0; i < k; ++i) s += (w[i] = std::exp(u[i] - m));
  for (int i = 0; i < k; ++i) w[i] /= s;
  return m + std::log(s);
}

// log L̂ at one point and ∂ log L̂ / ∂θ (into dtheta, size of θ). lx = log x.
double log_pred_grad(Form form, const double* t, const double* lx, double* dtheta) {
  double u[3], w[3];
  switch (form) {
    case Form::Chinchilla: {
      u[0] = t[0] - t[3] * lx[0];
      u[1] = t[1] - t[4] * lx[1];
      u[2] = t[2];
      const double v = log_sum_exp(u, 3, w);
      dtheta[0] = w[0], dtheta[1] = w[1], dtheta[2] = w[2];
      dtheta[3] = -w[0] * lx[0], dtheta[4] = -w[1] * lx[1];
      return v;
    }
    case Form::Power: {
      u[0] = t[0] - t[2] * lx[0];
      u[1] = t[1];
      const double v = log_sum_exp(u, 2, w);
      dtheta[0] = w[0], dtheta[1] = w[1], dtheta[2] = -w[0] * lx[0];
      return v;
    }
    case Form::Kaplan:
      dtheta[0] = 1, dtheta[1] = -lx[0];
      return t[0] - t[1] * lx[0];
    case Form::KaplanND: {
      u[0] = t[2] * (t[0] - lx[0]);
      u[1] = t[1] - lx[1];
      const double v = log_sum_exp(u, 2, w);
      dtheta[0] = t[3] * w[0] * t[2];
      dtheta[1] = t[3] * w[1];
      dtheta[2] = t[3] * w[0] * (t[0] - lx[0]);
      dtheta[3] = v;
      return t[3] * v;
    }
    case Form::Isoflop: break;
  }
  fail<ConfigError>("form ", form_name(form), " has no approach-3 prediction");
}

size_t expected_x(Form form) { return form == Form::Power || form == Form::Kaplan ? 1 : 2; }

}  // namespace

double log_prediction(Form form, const std::vector<double>& theta, const std::vector<double>& x) {
  if (x.size() != expected_x(form))
    fail<ConfigError>("form ", form_name(form), " takes ", expected_x(form), " x values, got ",
                      x.size());
  double lx[2], d[5];
  for (size_t i = 0; i < x.size(); ++i) lx[i] = std::log(x[i]);
  return log_pred_grad(form, theta.data(), lx, d);
}

LogTable log_table(const Table& table) {
  LogTable t;
  t.k = table.x_keys.size();
  for (size_t i = 0; i < table.y.size(); ++i) {
    for (size_t j = 0; j < t.k; ++j) t.log_x.push_back(std::log(table.x[i][j]));
    t.log_y.push_back(std::log(table.y[i]));
  }
  return t;
}

double huber_objective(Form form, const LogTable& table, const std::vector<double>& weights,
                       double delta, const std::vector<double>& theta, std::vector<double>& grad) {
  const size_t p = theta.size();
  std::fill(grad.begin(), grad.end(), 0.0);
  double total = 0, d[5];
  for (size_t i = 0; i < table.log_y.size(); ++i) {
    const double w = weights.empty() ? 1.0 : weights[i];
    if (w == 0) continue;
    const double r =
        log_pred_grad(form, theta.data(), &table.log_x[i * table.k], d) - table.log_y[i];
    const double a = std::fabs(r);
    // Huber and its derivative ψ(r) = clamp(r, −δ, δ).
    total += w * (a <= delta ? 0.5 * r * r : delta * (a - 0.5 * delta));
    const double psi = w * std::clamp(r, -delta, delta);
    for (size_t k = 0; k < p; ++k) grad[k] += psi * d[k];
  }
  return total;
}

double huber_objective(Form form, const Table& table, const std::vector<double>& weights,
                       double delta, const std::vector<double>& theta, std::vector<double>& grad) {
  return huber_objective(form, log_table(table), weights, delta, theta, grad);
}

}  // namespace gradlab::fit
