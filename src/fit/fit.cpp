// fit.cpp — Hoffmann et al.'s approach 3 end to end: L-BFGS from every start of a grid, the best
// objective wins; percentile-bootstrap intervals; R², per-point residuals; for chinchilla the
// compute-optimal frontier; optionally the prediction of held-out rows.
//
// Frontier (Hoffmann et al. 2022, eq. 4, with C = 6ND): minimising E + A/N^α + B/D^β on the
// curve D = C/(6N) gives
//   N_opt(C) = G (C/6)^a,  D_opt(C) = G⁻¹ (C/6)^b,  a = β/(α+β), b = α/(α+β),
//   G = (αA / (βB))^(1/(α+β)).
// Bootstrap: B replicates resample the fitted points with replacement (as multiplicities), seeded
// with FitOptions::seed through gradlab's Rng; each replicate starts L-BFGS from the full-data
// optimum and from the `bootstrap_starts` grid starts with the lowest objective on the replicate
// (refitting all 4500 starts B times would cost B full fits for little change: the replicates are
// near the full-data optimum). Interval = the (1−q)/2 and (1+q)/2 percentiles of the replicates.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "gradlab/error.h"
#include "gradlab/fit.h"
#include "gradlab/rng.h"

namespace gradlab::fit {
namespace {

// The grid's starts as θ vectors, in internal_parameters order (the last parameter varies
// fastest). ConfigError for a grid that misses a parameter, names an unknown one, or is empty.
std::vector<std::vector<double>> grid_starts(Form form, const Json& grid) {
  const auto names = internal_parameters(form);
  if (!grid.is_object()) fail<ConfigError>("--grid: expected a JSON object of lists");
  for (auto it = grid.begin(); it != grid.end(); ++it)
    if (std::find(names.begin(), names.end(), it.key()) == names.end()) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      fail<ConfigError>("--grid: \"", it.key(), "\" is not a parameter of the ", form_name(form),
                        " form (", list, ")");
    }
  std::vector<std::vector<double>> starts = {{}};
  for (const auto& name : names) {
    if (!grid.contains(name) || !grid[name].is_array() || grid[name].empty())
      fail<ConfigError>("--grid: \"", name, "\" needs a non-empty list of start values");
    std::vector<std::vector<double>> next;
    for (const auto& s : starts)
      for (const Json& v : grid[name]) {
        if (!v.is_number()) fail<ConfigError>("--grid: ", name, " holds ", v.dump(), ", not a number");
        auto t = s;
        t.push_back(v.get<double>());
        next.push_back(std::move(t));
      }
    starts = std::move(next);
  }
  return starts;
}

struct Fitted {
  LbfgsResult result;
  size_t start = 0;  // index into the starts tried
};

Fitted best_fit(Form form, const LogTable& table, const std::vector<double>& weights,
                double delta, const std::vector<std::vector<double>>& starts) {
  const Objective f = [&](const std::vector<double>& th, std::vector<double>& g) {
    return huber_objective(form, table, weights, delta, th, g);
  };
  Fitted best;
  best.result.f = std::numeric_limits<double>::infinity();
  for (size_t s = 0; s < starts.size(); ++s) {
    LbfgsResult r = lbfgs(f, starts[s]);
    if (std::isfinite(r.f) && r.f < best.result.f) best.result = std::move(r), best.start = s;
  }
  if (!std::isfinite(best.result.f))
    fail<ValueError>("fit: the objective is not finite from any start of the grid");
  return best;
}

// The reported parameters of θ (and, for chinchilla, the frontier's G, a, b).
Json parameters(Form form, const std::vector<double>& t) {
  Json p = Json::object();
  for (size_t k = 0; k < t.size(); ++k) p[internal_parameters(form)[k]] = t[k];
  if (form == Form::Chinchilla) {
    const double A = std::exp(t[0]), B = std::exp(t[1]), alpha = t[3], beta = t[4];
    p["E"] = std::exp(t[2]), p["A"] = A, p["B"] = B;
    p["frontier_a"] = beta / (alpha + beta);
    p["frontier_b"] = alpha / (alpha + beta);
    p["G"] = std::pow(alpha * A / (beta * B), 1.0 / (alpha + beta));
  } else if (form == Form::KaplanND) {
    p["N_c"] = std::exp(t[0]), p["D_c"] = std::exp(t[1]);
    p["alpha_N"] = t[2] * t[3], p["alpha_D"] = t[3];
  } else if (form == Form::Power) {
    p["E"] = std::exp(t[1]), p["A"] = std::exp(t[0]);
    p["X_c"] = std::exp(t[0] / t[2]);
  } else {
    p["A"] = std::exp(t[0]);
    p["X_c"] = std::exp(t[0] / t[1]);
  }
  return p;
}

double predict(Form form, const std::vector<double>& t, const std::vector<double>& x) {
  return std::exp(log_prediction(form, t, x));
}

Json frontier(const Json& p, const Table& table) {
  const double G = p["G"], a = p["frontier_a"], b = p["frontier_b"];
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (const auto& x : table.x) lo = std::min(lo, 6 * x[0] * x[1]), hi = std::max(hi, 6 * x[0] * x[1]);
  Json rows = Json::array();
  // One row per decade of C from the smallest budget in the data to 100× the largest.
  for (double e = std::floor(std::log10(lo)); e <= std::ceil(std::log10(hi)) + 2; e += 1) {
    const double C = std::pow(10.0, e);
    const double n = G * std::pow(C / 6, a), d = std::pow(C / 6, b) / G;
    const double loss = p["E"].get<double>() + p["A"].get<double>() * std::pow(n, -p["alpha"].get<double>()) +
                        p["B"].get<double>() * std::pow(d, -p["beta"].get<double>());
    rows.push_back({{"C", C}, {"N_opt", n}, {"D_opt", d}, {"tokens_per_parameter", d / n},
                    {"loss", loss}});
  }
  return {{"C", "6 N D"}, {"G", G}, {"a", a}, {"b", b}, {"table", rows}};
}

}  // namespace

double percentile(std::vector<double> v, double q) {
  // Replicates whose value is not finite (X_c = e^{a/α} at α = 0) are left out.
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto i = static_cast<size_t>(std::floor(pos));
  if (i + 1 >= v.size()) return v.back();
  return v[i] + (pos - static_cast<double>(i)) * (v[i + 1] - v[i]);
}

Json fit_table(const Table& all, const FitOptions& o) {
  if (o.form == Form::Isoflop) return fit_isoflop(all, o);
  const auto names = internal_parameters(o.form);
  const size_t want_x = o.form == Form::Chinchilla || o.form == Form::KaplanND ? 2 : 1;
  if (all.x_keys.size() != want_x)
    fail<ConfigError>("--x: the ", form_name(o.form), " form takes ", want_x, " key",
                      want_x == 1 ? "" : "s", " (got ", all.x_keys.size(), ")");
  if (!(o.huber_delta > 0)) fail<ConfigError>("--delta must be positive, got ", o.huber_delta);
  if (o.bootstrap < 0) fail<ConfigError>("--bootstrap must be >= 0, got ", o.bootstrap);

  // Split off the held-out rows.
  Table table, held;
  table.x_keys = held.x_keys = all.x_keys;
  table.y_key = held.y_key = all.y_key;
  size_t hold_col = all.x_keys.size();
  if (!o.holdout_key.empty()) {
    for (size_t k = 0; k < all.x_keys.size(); ++k)
      if (all.x_keys[k] == o.holdout_key) hold_col = k;
    if (hold_col == all.x_keys.size())
      fail<ConfigError>("--holdout: ", o.holdout_key, " is not one of the --x keys");
  }
  for (size_t i = 0; i < all.y.size(); ++i) {
    Table& to = hold_col < all.x_keys.size() && all.x[i][hold_col] >= o.holdout_min ? held : table;
    to.x.push_back(all.x[i]), to.y.push_back(all.y[i]), to.ids.push_back(all.ids[i]);
  }
  if (table.y.size() < names.size() + 1)
    fail<ConfigError>("fit: the ", form_name(o.form), " form has ", names.size(),
                      " parameters and needs at least ", names.size() + 1, " points, got ",
                      table.y.size(), held.y.empty() ? "" : " (after --holdout)");

  const Json grid = o.grid.is_null() ? default_grid(o.form) : o.grid;
  const auto starts = grid_starts(o.form, grid);
  const LogTable logs = log_table(table);
  const Fitted best = best_fit(o.form, logs, {}, o.huber_delta, starts);
  const std::vector<double>& theta = best.result.x;

  Json out = Json::object();
  out["form"] = form_name(o.form);
  out["x"] = table.x_keys;
  out["y"] = table.y_key;
  out["n_points"] = table.y.size();
  out["skipped"] = all.skipped_ids;
  out["huber_delta"] = o.huber_delta;
  out["objective"] = "sum over points of Huber_delta(log Lhat - log L)";
  out["grid"] = grid;
  out["n_starts"] = starts.size();
  out["optimum"] = {{"objective", best.result.f},
                    {"gradient_max", best.result.gradient_max},
                    {"iterations", best.result.iterations},
                    {"stop", best.result.stop},
                    {"start", starts[best.start]}};
  out["parameters"] = parameters(o.form, theta);

  // R² of L and of log L, and the residuals.
  double mean = 0, mean_log = 0;
  for (double y : table.y) mean += y, mean_log += std::log(y);
  mean /= static_cast<double>(table.y.size()), mean_log /= static_cast<double>(table.y.size());
  double ss_res = 0, ss_tot = 0, ss_res_log = 0, ss_tot_log = 0;
  Json residuals = Json::array();
  for (size_t i = 0; i < table.y.size(); ++i) {
    const double lp = log_prediction(o.form, theta, table.x[i]), pred = std::exp(lp);
    const double y = table.y[i];
    ss_res += (y - pred) * (y - pred), ss_tot += (y - mean) * (y - mean);
    ss_res_log += (std::log(y) - lp) * (std::log(y) - lp);
    ss_tot_log += (std::log(y) - mean_log) * (std::log(y) - mean_log);
    Json r = {{"id", table.ids[i]}, {"y", y}, {"predicted", pred},
              {"log_residual", lp - std::log(y)}};
    for (size_t k = 0; k < table.x_keys.size(); ++k) r[table.x_keys[k]] = table.x[i][k];
    residuals.push_back(r);
  }
  out["r2"] = ss_tot > 0 ? 1 - ss_res / ss_tot : std::nan("");
  out["r2_log"] = ss_tot_log > 0 ? 1 - ss_res_log / ss_tot_log : std::nan("");
  out["residuals"] = residuals;
  if (o.form == Form::Chinchilla) out["frontier"] = frontier(out["parameters"], table);

  if (!held.y.empty()) {
    Json rows = Json::array();
    double worst = 0, sum = 0;
    for (size_t i = 0; i < held.y.size(); ++i) {
      const double pred = predict(o.form, theta, held.x[i]);
      const double rel = (pred - held.y[i]) / held.y[i];
      worst = std::max(worst, std::fabs(rel)), sum += std::fabs(rel);
      Json r = {{"id", held.ids[i]}, {"y", held.y[i]}, {"predicted", pred}, {"relative_error", rel}};
      for (size_t k = 0; k < held.x_keys.size(); ++k) r[held.x_keys[k]] = held.x[i][k];
      rows.push_back(r);
    }
    out["holdout"] = {{"rule", o.holdout_key + " >= " + Json(o.holdout_min).dump()},
                      {"rows", rows},
                      {"max_abs_relative_error", worst},
                      {"mean_abs_relative_error", sum / static_cast<double>(held.y.size())}};
  }

  if (o.bootstrap > 0) {
    Rng rng(o.seed, 0x5ca1e);
    const size_t n = table.y.size();
    std::map<std::string, std::vector<double>> samples;
    std::vector<double> g(names.size());
    for (int rep = 0; rep < o.bootstrap; ++rep) {
      std::vector<double> w(n, 0.0);
      for (size_t i = 0; i < n; ++i) w[rng.below(n)] += 1;
      // The full-data optimum and the grid starts with the lowest objective on this replicate.
      std::vector<std::pair<double, size_t>> ranked;
      for (size_t s = 0; s < starts.size(); ++s) {
        const double v = huber_objective(o.form, logs, w, o.huber_delta, starts[s], g);
        ranked.emplace_back(std::isfinite(v) ? v : std::numeric_limits<double>::infinity(), s);
      }
      const size_t keep = std::min(ranked.size(), static_cast<size_t>(std::max(0, o.bootstrap_starts)));
      std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep), ranked.end());
      std::vector<std::vector<double>> rep_starts = {theta};
      for (size_t j = 0; j < keep; ++j) rep_starts.push_back(starts[ranked[j].second]);
      const Fitted f = best_fit(o.form, logs, w, o.huber_delta, rep_starts);
      const Json p = parameters(o.form, f.result.x);
      for (auto it = p.begin(); it != p.end(); ++it) samples[it.key()].push_back(it.value());
    }
    Json intervals = Json::object();
    const double lo = (1 - o.interval) / 2, hi = (1 + o.interval) / 2;
    for (const auto& [key, v] : samples)
      intervals[key] = {percentile(v, lo), percentile(v, hi)};
    out["bootstrap"] = {{"replicates", o.bootstrap}, {"seed", o.seed}, {"interval", o.interval},
                        {"method", "percentile"}, {"starts_per_replicate", 1 + std::min(starts.size(), static_cast<size_t>(std::max(0, o.bootstrap_starts)))},
                        {"intervals", intervals}};
  }
  return out;
}

}  // namespace gradlab::fit
