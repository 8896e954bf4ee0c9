// gradlab/fit.h — fitting scaling laws to measured losses (`gradlab fit`, docs/fit.md).
//
// Forms (x = the --x keys, L = the --y key; every fit is in float64):
//   chinchilla  L = E + A/N^α + B/D^β            (Hoffmann et al. 2022, eq. 2; x = N,D)
//   power       L = E + (X_c/X)^α                (one x)
//   kaplan      L = (X_c/X)^α                    (Kaplan et al. 2020, eqs. 1.1–1.3; one x)
//   isoflop     Hoffmann et al.'s approach 2: per compute budget C (x = N,C) a parabola in
//               log N through the losses, its vertex N_opt(C); then N_opt ∝ C^a, D_opt ∝ C^b.
// The first three are Hoffmann et al.'s approach 3: internal parameters θ in log space (a = log
// A, b = log B, e = log E), the model's log-loss is a log-sum-exp, e.g. for chinchilla
//   log L̂ = LSE(a − α log N, b − β log D, e),
// and θ minimises the SUM over points of Huber_δ(log L̂_i − log L_i) with δ = 1e-3 — the sum,
// not the mean: Besiroglu et al. 2024 showed that averaging shrinks the gradient below the
// optimiser's tolerance and stops it early. L-BFGS (fit_lbfgs) runs from every point of a grid
// of starts; the lowest objective wins.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gradlab/config.h"

namespace gradlab::fit {

// ---- L-BFGS (Nocedal & Wright 2006, Alg. 7.4/7.5, strong-Wolfe line search Alg. 3.5/3.6) ----
// f(x, grad) returns the objective and writes its gradient into grad (same size as x).
using Objective = std::function<double(const std::vector<double>& x, std::vector<double>& grad)>;

struct LbfgsOptions {
  int memory = 10;          // (s, y) pairs kept
  int max_iterations = 2000;
  double gradient_tolerance = 1e-10;  // stop when max_i |g_i| <= this
  // stop when f_{k-1} − f_k <= this · max(|f_k|, |f_{k-1}|, 1e-300) for 5 iterations in a row
  double relative_decrease = 1e-16;
};

struct LbfgsResult {
  std::vector<double> x;
  double f = 0;
  double gradient_max = 0;   // max |g_i| at x
  int iterations = 0;
  std::string stop;          // "gradient", "no_decrease", "line_search", "max_iterations"
};

LbfgsResult lbfgs(const Objective& f, std::vector<double> x0, const LbfgsOptions& options = {});

// ---- the data ----
// Rows of a sweep.jsonl (one JSON object per line; keys may be dotted paths into nested
// objects) or a CSV with a header line. Rows whose "status" is present and not "completed"
// are skipped (counted in `skipped`); every other row must hold every key as a positive
// finite number, else ConfigError naming the row and key.
struct Table {
  std::vector<std::string> x_keys;
  std::string y_key;
  std::vector<std::vector<double>> x;  // [n][x_keys.size()]
  std::vector<double> y;               // [n]
  std::vector<std::string> ids;        // the row's "id" (sweep) or "row K" (1-based line)
  int skipped = 0;
  std::vector<std::string> skipped_ids;
};

// `where`: (KEY, VALUE) pairs a row must match to be used (--where KEY=VALUE; numbers compare
// as numbers, anything else as its JSON text or CSV cell); rows that do not match are left out
// silently, as a filter does.
using RowFilter = std::vector<std::pair<std::string, std::string>>;
Table read_table(const std::string& path, const std::vector<std::string>& x_keys,
                 const std::string& y_key, const RowFilter& where = {});
// The same from text already in memory (the browser's dropped file); `name` for messages.
Table parse_table(const std::string& text, const std::string& name,
                  const std::vector<std::string>& x_keys, const std::string& y_key,
                  const RowFilter& where = {});

// ---- fitting ----
enum class Form { Chinchilla, Power, Kaplan, KaplanND, Isoflop };
Form parse_form(const std::string& name);  // ConfigError listing the forms
const char* form_name(Form form);

struct FitOptions {
  Form form = Form::Chinchilla;
  double huber_delta = 1e-3;
  int bootstrap = 0;       // B resamples of the points (0 = no intervals)
  uint64_t seed = 0;       // of the bootstrap's resampling
  double interval = 0.95;  // percentile interval of the bootstrap
  // Starting grid: {"a": [...], "alpha": [...], ...} over the form's internal parameters;
  // null = the form's default grid (default_grid).
  Json grid = nullptr;
  // Bootstrap replicates start from the full-data optimum and from this many of the grid's
  // starts, those with the lowest objective on the replicate's points.
  int bootstrap_starts = 8;
  // Held-out rows (KEY >= VALUE of `holdout_key`): fitted on the others, predicted after.
  std::string holdout_key;
  double holdout_min = 0;
  // isoflop: relative tolerance within which two C values count as the same budget.
  double budget_tolerance = 0.02;
  // isoflop: fit each budget's parabola to the `window` points nearest (in log N) to its
  // lowest measured loss; 0 = every point of the budget. At least 3.
  int window = 0;
};

// The internal parameter names of a form, in θ order ("a", "b", "e", "alpha", "beta").
std::vector<std::string> internal_parameters(Form form);
// Hoffmann et al. 2022 (App. D.2) for chinchilla; docs/fit.md lists every form's grid.
Json default_grid(Form form);

// The objective of approach 3 at θ: Σ_i w_i Huber_δ(log L̂(x_i; θ) − log y_i) and its gradient.
// w: multiplicities (a bootstrap replicate), empty = all 1. Exposed for the tests.
double huber_objective(Form form, const Table& table, const std::vector<double>& weights,
                       double delta, const std::vector<double>& theta, std::vector<double>& grad);
// The same on the logarithms of a table's values, computed once (what the fits call).
struct LogTable {
  size_t k = 0;               // x values per point
  std::vector<double> log_x;  // [n · k]
  std::vector<double> log_y;  // [n]
};
LogTable log_table(const Table& table);
double huber_objective(Form form, const LogTable& table, const std::vector<double>& weights,
                       double delta, const std::vector<double>& theta, std::vector<double>& grad);
// log L̂(x; θ) of a form.
double log_prediction(Form form, const std::vector<double>& theta, const std::vector<double>& x);

// The whole fit as the JSON `gradlab fit` writes (docs/fit.md "Output").
Json fit_table(const Table& table, const FitOptions& options);

// Hoffmann et al.'s approach 2 (x = N,C): JSON with the budgets, their parabolas and minima,
// and the exponents a, b of N_opt ∝ C^a, D_opt = C/(6 N_opt) ∝ C^b.
Json fit_isoflop(const Table& table, const FitOptions& options);

// Percentile of sorted values (linear between order statistics, q in [0, 1]).
double percentile(std::vector<double> values, double q);

}  // namespace gradlab::fit
