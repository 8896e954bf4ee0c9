// test_fit.cpp — scaling-law fits (gradlab/fit.h, issue 17): the optimiser, the objective's
// gradient, recovery of a known Chinchilla surface with 1 % noise and its bootstrap intervals,
// the one-x forms, approach 2, held-out prediction, and the errors for bad tables.
#include <catch2/catch.hpp>
#include <cmath>

#include "gradlab/error.h"
#include "gradlab/fit.h"
#include "gradlab/rng.h"

using namespace gradlab;
using namespace gradlab::fit;

namespace {

// Hoffmann et al. 2022's fitted values (their eq. 10).
constexpr double kE = 1.69, kA = 406.4, kB = 410.7, kAlpha = 0.34, kBeta = 0.28;

double chinchilla(double n, double d) { return kE + kA / std::pow(n, kAlpha) + kB / std::pow(d, kBeta); }

// 10 × 10 points, N in [1e7, 1e10], D in [1e9, 1e12], log-spaced; L × exp(noise · z).
Table surface(double noise, uint64_t seed) {
  Table t;
  t.x_keys = {"N", "D"};
  t.y_key = "L";
  Rng rng(seed);
  for (int i = 0; i < 10; ++i)
    for (int j = 0; j < 10; ++j) {
      const double n = std::pow(10.0, 7 + 3.0 * i / 9), d = std::pow(10.0, 9 + 3.0 * j / 9);
      t.x.push_back({n, d});
      t.y.push_back(chinchilla(n, d) * std::exp(noise * rng.normal()));
      t.ids.push_back("p" + std::to_string(i) + "_" + std::to_string(j));
    }
  return t;
}

}  // namespace

TEST_CASE("fit: L-BFGS finds the minimum of the Rosenbrock function", "[fit]") {
  const Objective rosenbrock = [](const std::vector<double>& x, std::vector<double>& g) {
    const double a = 1 - x[0], b = x[1] - x[0] * x[0];
    g[0] = -2 * a - 400 * x[0] * b;
    g[1] = 200 * b;
    return a * a + 100 * b * b;
  };
  const LbfgsResult r = lbfgs(rosenbrock, {-1.2, 1.0});
  CHECK(r.x[0] == Approx(1.0).margin(1e-8));
  CHECK(r.x[1] == Approx(1.0).margin(1e-8));
  CHECK(r.f < 1e-16);
}

TEST_CASE("fit: the Huber objective's gradient matches finite differences", "[fit]") {
  const Table t = surface(0.01, 3);
  Table one = t;
  for (auto& x : one.x) x.resize(1);
  one.x_keys = {"N"};
  struct Case {
    Form form;
    const Table* table;
    std::vector<double> theta;
  };
  // Points near the optimum put some residuals inside |r| <= δ and some outside.
  for (const Case& c : {Case{Form::Chinchilla, &t, {6.0, 6.0, 0.52, 0.34, 0.28}},
                        Case{Form::Power, &one, {3.0, 0.8, 0.3}},
                        Case{Form::Kaplan, &one, {2.0, 0.1}},
                        Case{Form::KaplanND, &t, {20.0, 22.0, 0.8, 0.1}}}) {
    std::vector<double> g(c.theta.size()), scratch(c.theta.size());
    for (double delta : {1e-3, 10.0}) {
      huber_objective(c.form, *c.table, {}, delta, c.theta, g);
      for (size_t k = 0; k < c.theta.size(); ++k) {
        const double h = 1e-6;
        auto up = c.theta, down = c.theta;
        up[k] += h, down[k] -= h;
        const double fd = (huber_objective(c.form, *c.table, {}, delta, up, scratch) -
                           huber_objective(c.form, *c.table, {}, delta, down, scratch)) / (2 * h);
        INFO(form_name(c.form) << " delta " << delta << " parameter " << k);
        CHECK(g[k] == Approx(fd).epsilon(1e-5).margin(1e-9));
      }
    }
  }
}

TEST_CASE("fit: chinchilla recovers a known surface with 1% noise, truth inside the 95% intervals",
          "[fit]") {
  FitOptions o;
  o.bootstrap = 100;
  o.seed = 7;
  const Json r = fit_table(surface(0.01, 1), o);
  const Json& p = r["parameters"];
  CHECK(std::fabs(p["alpha"].get<double>() - kAlpha) <= 0.02);
  CHECK(std::fabs(p["beta"].get<double>() - kBeta) <= 0.02);
  CHECK(std::fabs(p["E"].get<double>() / kE - 1) <= 0.02);
  CHECK(r["n_starts"] == 4500);  // Hoffmann et al.'s grid
  // Converged: L-BFGS stops on |g| <= 1e-10 or when the objective stops changing at float64
  // resolution; where that happens depends on libm's exp/log (1.5e-8 measured under WASM).
  CHECK(r["optimum"]["gradient_max"].get<double>() < 1e-6);
  CHECK(r["r2"].get<double>() > 0.99);
  CHECK(r["residuals"].size() == 100);
  const Json& ci = r["bootstrap"]["intervals"];
  for (const auto& [key, truth] : std::vector<std::pair<std::string, double>>{
           {"E", kE}, {"A", kA}, {"B", kB}, {"alpha", kAlpha}, {"beta", kBeta}}) {
    INFO(key << " in [" << ci[key][0] << ", " << ci[key][1] << "]");
    CHECK(ci[key][0].get<double>() <= truth);
    CHECK(truth <= ci[key][1].get<double>());
  }
  // Frontier: a = β/(α+β), and N_opt, D_opt spend the budget: 6 N_opt D_opt = C.
  const Json& f = r["frontier"];
  CHECK(f["a"].get<double>() ==
        Approx(p["beta"].get<double>() / (p["alpha"].get<double>() + p["beta"].get<double>())));
  for (const Json& row : f["table"])
    CHECK(6 * row["N_opt"].get<double>() * row["D_opt"].get<double>() ==
          Approx(row["C"].get<double>()).epsilon(1e-10));
}

TEST_CASE("fit: the frontier minimises the fitted loss at fixed compute", "[fit]") {
  FitOptions o;
  o.grid = {{"a", {6.0}}, {"b", {6.0}}, {"e", {0.5}}, {"alpha", {0.3}}, {"beta", {0.3}}};
  const Json r = fit_table(surface(0.0, 1), o);
  const Json& p = r["parameters"];
  auto loss = [&](double n, double d) {
    return p["E"].get<double>() + p["A"].get<double>() * std::pow(n, -p["alpha"].get<double>()) +
           p["B"].get<double>() * std::pow(d, -p["beta"].get<double>());
  };
  for (const Json& row : r["frontier"]["table"]) {
    const double c = row["C"], n = row["N_opt"];
    const double best = loss(n, c / (6 * n));
    CHECK(best <= loss(n * 1.1, c / (6 * n * 1.1)));
    CHECK(best <= loss(n / 1.1, c / (6 * n / 1.1)));
    CHECK(row["loss"].get<double>() == Approx(best).epsilon(1e-12));
  }
  // Noise-free data: the fit is the truth.
  CHECK(p["alpha"].get<double>() == Approx(kAlpha).epsilon(1e-6));
  CHECK(p["E"].get<double>() == Approx(kE).epsilon(1e-6));
}

TEST_CASE("fit: power and kaplan forms recover their exponents", "[fit]") {
  Table t;
  t.x_keys = {"N"};
  t.y_key = "L";
  Rng rng(5);
  for (int i = 0; i < 12; ++i) {
    const double n = std::pow(10.0, 3 + 0.3 * i);
    t.x.push_back({n});
    t.y.push_back((1.2 + std::pow(2e4 / n, 0.4)) * std::exp(0.005 * rng.normal()));
    t.ids.push_back(std::to_string(i));
  }
  FitOptions o;
  o.form = Form::Power;
  Json r = fit_table(t, o);
  CHECK(r["parameters"]["alpha"].get<double>() == Approx(0.4).margin(0.03));
  CHECK(r["parameters"]["E"].get<double>() == Approx(1.2).epsilon(0.03));
  CHECK(r["parameters"]["X_c"].get<double>() == Approx(2e4).epsilon(0.3));
  // Kaplan's pure power law L = (X_c/X)^α on data without an offset.
  for (size_t i = 0; i < t.y.size(); ++i) t.y[i] = std::pow(8.8e13 / t.x[i][0], 0.076);
  o.form = Form::Kaplan;
  r = fit_table(t, o);
  CHECK(r["parameters"]["alpha"].get<double>() == Approx(0.076).epsilon(1e-6));
  CHECK(r["parameters"]["X_c"].get<double>() == Approx(8.8e13).epsilon(1e-4));
  CHECK(r["r2"].get<double>() == Approx(1.0).margin(1e-12));
}

TEST_CASE("fit: kaplan_nd recovers Kaplan et al.'s coupled L(N, D) and predicts held-out N", "[fit]") {
  // Kaplan et al. 2020 eq. 1.5 with their fitted values (Table 2): α_N 0.076, α_D 0.095,
  // N_c 6.4e13, D_c 1.8e13; a 6 x 6 grid of N and D, exact and with 1 % multiplicative noise.
  const double aN = 0.076, aD = 0.095, Nc = 6.4e13, Dc = 1.8e13;
  const auto law = [&](double n, double d) { return std::pow(std::pow(Nc / n, aN / aD) + Dc / d, aD); };
  for (const double noise : {0.0, 0.01}) {
    INFO("noise " << noise);
    Table t;
    t.x_keys = {"N", "D"};
    t.y_key = "L";
    Rng rng(7);
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 6; ++j) {
        const double n = std::pow(10.0, 6 + 0.5 * i), d = std::pow(10.0, 8 + 0.5 * j);
        t.x.push_back({n, d});
        t.y.push_back(law(n, d) * std::exp(noise * rng.normal()));
        t.ids.push_back(std::to_string(i) + "," + std::to_string(j));
      }
    FitOptions o;
    o.form = Form::KaplanND;
    o.holdout_key = "N";
    o.holdout_min = 2e8;  // the largest N (10^8.5) is predicted, not fitted
    const Json r = fit_table(t, o);
    const Json& p = r["parameters"];
    CHECK(r["holdout"]["rows"].size() == 6);
    if (noise == 0) {
      CHECK(p["alpha_N"].get<double>() == Approx(aN).epsilon(1e-4));
      CHECK(p["alpha_D"].get<double>() == Approx(aD).epsilon(1e-4));
      CHECK(p["N_c"].get<double>() == Approx(Nc).epsilon(1e-2));
      CHECK(p["D_c"].get<double>() == Approx(Dc).epsilon(1e-2));
      CHECK(r["holdout"]["max_abs_relative_error"].get<double>() < 1e-6);
    } else {
      CHECK(p["alpha_N"].get<double>() == Approx(aN).margin(0.01));
      CHECK(p["alpha_D"].get<double>() == Approx(aD).margin(0.01));
      CHECK(r["holdout"]["max_abs_relative_error"].get<double>() < 0.05);
    }
    // Chinchilla's form adds the N and D terms instead of coupling them: it misses more.
    o.form = Form::Chinchilla;
    const Json c = fit_table(t, o);
    CHECK(c["holdout"]["max_abs_relative_error"].get<double>() >
          2 * r["holdout"]["max_abs_relative_error"].get<double>());
  }
}

TEST_CASE("fit: held-out rows are predicted, not fitted", "[fit]") {
  Table t = surface(0.0, 1);
  FitOptions o;
  o.grid = {{"a", {6.0}}, {"b", {6.0}}, {"e", {0.5}}, {"alpha", {0.3}}, {"beta", {0.3}}};
  o.holdout_key = "N";
  o.holdout_min = 5e9;
  const Json r = fit_table(t, o);
  CHECK(r["n_points"] == 90);
  CHECK(r["holdout"]["rows"].size() == 10);
  CHECK(r["holdout"]["max_abs_relative_error"].get<double>() < 1e-6);
  for (const Json& row : r["holdout"]["rows"]) CHECK(row["N"].get<double>() >= 5e9);
}

TEST_CASE("fit: isoflop (approach 2) finds N_opt ∝ C^(β/(α+β))", "[fit]") {
  // Five budgets, nine model sizes each around the optimum, noise-free Chinchilla losses.
  Table t;
  t.x_keys = {"N", "C"};
  t.y_key = "L";
  const double a_true = kBeta / (kAlpha + kBeta);
  for (int b = 0; b < 5; ++b) {
    const double c = std::pow(10.0, 18 + b);
    const double g = std::pow(kAlpha * kA / (kBeta * kB), 1 / (kAlpha + kBeta));
    const double n_opt = g * std::pow(c / 6, a_true);
    for (int k = -4; k <= 4; ++k) {
      const double n = n_opt * std::pow(10.0, 0.15 * k);
      t.x.push_back({n, c});
      t.y.push_back(chinchilla(n, c / (6 * n)));
      t.ids.push_back(std::to_string(b) + "/" + std::to_string(k));
    }
  }
  FitOptions o;
  o.form = Form::Isoflop;
  o.bootstrap = 50;
  const Json r = fit_table(t, o);
  CHECK(r["budgets"].size() == 5);
  CHECK(r["parameters"]["a"].get<double>() == Approx(a_true).margin(0.02));
  CHECK(r["parameters"]["b"].get<double>() == Approx(1 - a_true).margin(0.02));
  CHECK(r["bootstrap"]["intervals"]["a"][0].get<double>() <= r["parameters"]["a"].get<double>());
  // A window of the 5 points around each minimum: the same exponent, 5 points per budget.
  o.window = 5;
  const Json w = fit_table(t, o);
  CHECK(w["parameters"]["a"].get<double>() == Approx(a_true).margin(0.02));
  for (const Json& b : w["budgets"]) CHECK(b["points"].size() == 5);
}

TEST_CASE("fit: bad tables and options are ConfigErrors that say what is wrong", "[fit]") {
  const std::vector<std::string> nd = {"N", "D"};
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message([&] { parse_table("N,D,L\n1,2,3\n", "t.csv", {"N", "Q"}, "L"); }),
             Catch::Contains("no column \"Q\""));
  CHECK_THAT(message([&] { parse_table("N,D,L\n1,-2,3\n", "t.csv", nd, "L"); }),
             Catch::Contains("D = -2 is not a positive finite number"));
  CHECK_THAT(message([&] { parse_table("{\"N\": 1, \"L\": 2}\n", "s.jsonl", nd, "L"); }),
             Catch::Contains("no key \"D\""));
  CHECK_THAT(message([&] { parse_table("{\"N\": 1, \"D\": 0, \"L\": 2}\n", "s.jsonl", nd, "L"); }),
             Catch::Contains("D = 0"));
  CHECK_THAT(message([&] { parse_table("N,D,L\n1,2,x\n", "t.csv", nd, "L"); }),
             Catch::Contains("\"x\" is not a number"));
  // Rows of unfinished runs are skipped, and a table left empty is an error.
  const Table t = parse_table(
      "{\"id\": \"a\", \"N\": 1, \"D\": 2, \"L\": 3, \"status\": \"completed\"}\n"
      "{\"id\": \"b\", \"status\": \"diverged\"}\n",
      "s.jsonl", nd, "L");
  CHECK(t.y.size() == 1);
  CHECK(t.skipped_ids == std::vector<std::string>{"b"});
  CHECK_THAT(message([&] { parse_table("{\"status\": \"diverged\"}\n", "s.jsonl", nd, "L"); }),
             Catch::Contains("no usable rows"));
  // Five parameters need six points.
  Table few = surface(0.01, 1);
  few.x.resize(5), few.y.resize(5), few.ids.resize(5);
  CHECK_THAT(message([&] { fit_table(few, FitOptions{}); }),
             Catch::Contains("needs at least 6 points, got 5"));
  FitOptions bad_grid;
  bad_grid.grid = {{"a", {1.0}}, {"b", {1.0}}, {"e", {0.0}}, {"alpha", {0.5}}};
  CHECK_THAT(message([&] { fit_table(surface(0.01, 1), bad_grid); }),
             Catch::Contains("\"beta\" needs a non-empty list"));
  CHECK_THAT(message([] { parse_form("chinchila"); }), Catch::Contains("unknown form"));
}

TEST_CASE("fit: --where keeps the rows that match", "[fit]") {
  const std::string jsonl =
      "{\"id\": \"a\", \"steps\": 800, \"N\": 1, \"L\": 3}\n"
      "{\"id\": \"b\", \"steps\": 400, \"N\": 2, \"L\": 2}\n"
      "{\"id\": \"c\", \"steps\": 800.0, \"N\": 4, \"L\": 1}\n";
  Table t = parse_table(jsonl, "s.jsonl", {"N"}, "L", {{"steps", "800"}});
  CHECK(t.ids == std::vector<std::string>{"a", "c"});
  t = parse_table("id,steps,N,L\na,800,1,3\nb,400,2,2\nc,8e2,4,1\n", "t.csv", {"N"}, "L",
                  {{"steps", "800"}});
  CHECK(t.ids == std::vector<std::string>{"a", "c"});
  t = parse_table(jsonl, "s.jsonl", {"N"}, "L", {{"id", "b"}});
  CHECK(t.y == std::vector<double>{2});
  CHECK_THROWS_WITH(parse_table(jsonl, "s.jsonl", {"N"}, "L", {{"steps", "1"}}),
                    Catch::Contains("do not match --where"));
}
