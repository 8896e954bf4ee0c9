// Tests of the SMO solver (gradlab/svm.h) and the svm_margin / implicit_bias kinds: the
// KKT conditions at the solution, a hand-made hard-margin problem with a known answer, the
// bias-free variant, degenerate inputs with their messages, and one short run of each kind.
// Fast (well under a second) and free of files, so it also runs under WebAssembly.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>

#include "gradlab/config.h"
#include "gradlab/error.h"
#include "gradlab/experiment.h"
#include "gradlab/svm.h"

using namespace gradlab;
using Catch::Matchers::Contains;

namespace {

const double kInf = std::numeric_limits<double>::infinity();

// n 2-D points in two Gaussian blobs at (±1.5, ±0.5) (overlapping a little), labels ±1.
void blobs(int n, unsigned seed, std::vector<double>& x, std::vector<double>& y) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  x.clear();
  y.clear();
  for (int i = 0; i < n; ++i) {
    const double s = i % 2 ? 1.0 : -1.0;
    x.push_back(1.5 * s + g(gen));
    x.push_back(0.5 * s + g(gen));
    y.push_back(s);
  }
}

// KKT of the C-SVC at (α, b), to tolerance eps on yᵢf(xᵢ): α = 0 ⇒ yf ≥ 1, 0 < α < C ⇒
// yf = 1, α = C ⇒ yf ≤ 1; and Σαᵢyᵢ = 0.
void check_kkt(const svm::Model& m, const std::vector<double>& x, const std::vector<double>& y,
               double C, double eps) {
  double balance = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    const double yf = y[i] * m.decision(&x[i * m.dim]);
    const double a = m.alpha[i];
    REQUIRE(a >= 0);
    REQUIRE(a <= C);
    if (a == 0) CHECK(yf >= 1 - eps);
    else if (a < C) CHECK(std::abs(yf - 1) <= eps);
    else CHECK(yf <= 1 + eps);
    balance += a * y[i];
  }
  CHECK(std::abs(balance) <= 1e-9 * (1 + m.dual_objective));
}

std::string message_of(const std::vector<double>& x, const std::vector<double>& y, int64_t d,
                       const svm::Options& o) {
  try {
    svm::solve(x, y, d, o);
  } catch (const ValueError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("hard margin on a hand-made 2-D set gives the known max-margin answer", "[svm]") {
  // Positive points right of x₁ = 2, negative left of x₁ = 0: the widest slab is 0 ≤ x₁ ≤ 2,
  // so w = (1, 0), b = −1, ρ = 1, the support vectors (2, 0) and (0, 0) with α = ½ each.
  const std::vector<double> x = {2, 0, 3, 1, 3, -1, 0, 0, -1, 1, -1, -1};
  const std::vector<double> y = {1, 1, 1, -1, -1, -1};
  svm::Options o;  // linear, C = ∞
  const svm::Model m = svm::solve(x, y, 2, o);
  REQUIRE(m.converged);
  CHECK(m.w[0] == Approx(1.0).epsilon(1e-9));
  CHECK(m.w[1] == Approx(0.0).margin(1e-9));
  CHECK(m.bias == Approx(-1.0).epsilon(1e-9));
  CHECK(m.margin == Approx(1.0).epsilon(1e-9));
  CHECK(m.support == std::vector<int64_t>{0, 3});
  CHECK(m.margin_sv == std::vector<int64_t>{0, 3});
  CHECK(m.bound_sv.empty());
  CHECK(m.alpha[0] == Approx(0.5).epsilon(1e-9));
  CHECK(m.alpha[3] == Approx(0.5).epsilon(1e-9));
  CHECK(m.dual_coef == std::vector<double>{m.alpha[0], -m.alpha[3]});
  // Strong duality: D = P = ½‖w‖² = ½.
  CHECK(m.dual_objective == Approx(0.5).epsilon(1e-9));
  CHECK(m.primal_objective == Approx(0.5).epsilon(1e-9));
  CHECK(m.error(x, y) == 0);
  const std::vector<double> probe = {0.9, 5, 1.1, -5};  // either side of x₁ = 1
  CHECK(m.predict(probe, 2) == std::vector<int>{-1, 1});
}

TEST_CASE("soft-margin solutions satisfy the KKT conditions for every kernel", "[svm]") {
  std::vector<double> x, y;
  blobs(120, 7, x, y);
  for (svm::KernelType k : {svm::KernelType::linear, svm::KernelType::rbf, svm::KernelType::poly}) {
    for (double C : {0.1, 1.0, 10.0}) {
      INFO("kernel " << svm::kernel_name(k) << ", C = " << C);
      svm::Options o;
      o.kernel.type = k;
      o.C = C;
      o.tol = 1e-8;
      const svm::Model m = svm::solve(x, y, 2, o);
      REQUIRE(m.converged);
      CHECK(m.kkt_gap < 1e-8);
      check_kkt(m, x, y, C, 1e-6);
      // Overlapping blobs: some points are inside the margin (α = C).
      if (k == svm::KernelType::linear) CHECK(!m.bound_sv.empty());
      // Duality gap of the converged solution is tiny relative to the objective.
      CHECK(m.primal_objective - m.dual_objective >= -1e-9 * m.primal_objective);
      CHECK(m.primal_objective - m.dual_objective <= 1e-5 * m.primal_objective);
      CHECK(m.support.size() == m.margin_sv.size() + m.bound_sv.size());
    }
  }
}

TEST_CASE("rbf and poly kernels separate XOR with a hard margin, linear cannot", "[svm]") {
  const std::vector<double> x = {1, 1, -1, -1, 1, -1, -1, 1};
  const std::vector<double> y = {1, 1, -1, -1};
  svm::Options o;
  o.kernel.type = svm::KernelType::rbf;
  o.kernel.gamma = 0.5;
  svm::Model m = svm::solve(x, y, 2, o);
  CHECK(m.error(x, y) == 0);
  CHECK(m.support.size() == 4);  // by symmetry every point is a support vector
  check_kkt(m, x, y, kInf, 1e-6);
  o.kernel.type = svm::KernelType::poly;  // (½⟨x, x′⟩ + 1)³ contains the x₁x₂ feature
  m = svm::solve(x, y, 2, o);
  CHECK(m.error(x, y) == 0);
  o.kernel.type = svm::KernelType::linear;
  CHECK_THAT(message_of(x, y, 2, o), Contains("not separable"));
}

TEST_CASE("the bias-free hard-margin SVM", "[svm]") {
  // f(x) = wᵀx with x₊ ∈ {(2, 0), (3, 0)}, x₋ ∈ {(0, 2), (0, 3)}: the binding constraints
  // 2w₁ ≥ 1 and −2w₂ ≥ 1 give w = (½, −½), ρ = 1/‖w‖ = √2, support vectors (2, 0), (0, 2).
  const std::vector<double> x = {2, 0, 3, 0, 0, 2, 0, 3};
  const std::vector<double> y = {1, 1, -1, -1};
  svm::Options o;
  o.fit_bias = false;
  const svm::Model m = svm::solve(x, y, 2, o);
  REQUIRE(m.converged);
  CHECK(m.bias == 0);
  CHECK(m.w[0] == Approx(0.5).epsilon(1e-9));
  CHECK(m.w[1] == Approx(-0.5).epsilon(1e-9));
  CHECK(m.margin == Approx(std::sqrt(2.0)).epsilon(1e-9));
  CHECK(m.support == std::vector<int64_t>{0, 2});
  // With a bias the slab can be wider, never narrower.
  o.fit_bias = true;
  CHECK(svm::solve(x, y, 2, o).margin >= m.margin - 1e-12);
}

TEST_CASE("degenerate inputs fail with clear messages", "[svm]") {
  svm::Options o;
  CHECK(message_of({}, {}, 2, o) == "svm: empty training data (0 examples)");
  CHECK_THAT(message_of({0, 0, 1, 1}, {1, 1}, 2, o),
             Contains("all 2 training labels are +1") && Contains("both classes"));
  CHECK_THAT(message_of({0, std::nan(""), 1, 1}, {1, -1}, 2, o), Contains("x[0, 1] is NaN"));
  CHECK_THAT(message_of({0, 0, 1, 1}, {1, 0}, 2, o), Contains("labels must be -1 or +1"));
  CHECK_THAT(message_of({0, 0, 1}, {1, -1}, 2, o), Contains("x has 3 values"));
  // The same point with both labels: no hard margin; a soft margin is fine.
  const std::vector<double> dup = {1, 2, 3, 4, 1, 2};
  const std::vector<double> ydup = {1, -1, -1};
  CHECK_THAT(message_of(dup, ydup, 2, o),
             Contains("examples 0 and 2 are the same point with opposite labels") &&
                 Contains("not separable"));
  o.C = 1;
  CHECK_NOTHROW(svm::solve(dup, ydup, 2, o));
  // Overlapping classes, no duplicates: hard margin must be detected as unbounded.
  std::vector<double> x, y;
  blobs(60, 3, x, y);
  o.C = kInf;
  CHECK_THAT(message_of(x, y, 2, o), Contains("not separable"));
  o.C = -1;
  CHECK_THAT(message_of(x, y, 2, o), Contains("C must be positive"));
}

namespace {
Json run_kind(const Json& user, std::vector<Json>& rows) {
  std::unique_ptr<Experiment> e = make_experiment(resolve_config(user));
  while (!e->done())
    if (auto r = e->step()) rows.push_back(*r);
  return e->summary(rows);
}
}  // namespace

TEST_CASE("svm_margin reports the solution and the margin bound", "[svm]") {
  Json user = {{"kind", "svm_margin"},
               {"data",
                {{"source", "synthetic"},
                 {"generator", "linearly_separable"},
                 {"margin", 0.3},
                 {"n_train", 200},
                 {"n_test", 200}}},
               {"svm", {{"C", "inf"}}}};
  std::vector<Json> rows;
  Json s = run_kind(user, rows);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["step"] == 0);
  CHECK(s["train_error"] == 0.0);  // separable, hard margin
  CHECK(s["margin"].get<double>() >= 0.3 - 1e-6);  // the generator guarantees |w·x| ≥ 0.3
  CHECK(s["w"].size() == 2);
  CHECK(s["n_sv"].get<size_t>() == s["support_indices"].size());
  const double m = 200, rho = s["margin_normalized"].get<double>();
  CHECK(s["bound_complexity"].get<double>() == Approx(2 / (rho * std::sqrt(m))));
  CHECK(s["bound_confidence"].get<double>() == Approx(std::sqrt(std::log(1 / 0.05) / (2 * m))));
  CHECK(s["bound"].get<double>() ==
        Approx(s["bound_complexity"].get<double>() + s["bound_confidence"].get<double>()));
  CHECK(s["bound_vacuous"] == (s["bound"].get<double>() > 1));
  CHECK(s["dual_objective"].get<double>() == Approx(s["primal_objective"].get<double>()).epsilon(1e-5));
}

TEST_CASE("implicit_bias: GD's direction turns toward the SVM's", "[svm]") {
  for (const char* loss : {"logistic", "exponential"}) {
    INFO(loss);
    Json user = {{"kind", "implicit_bias"},
                 {"loss", loss},
                 {"model", {{"type", "linear"}, {"bias", false}}},
                 {"optim", {{"type", "gd"}, {"lr", 1.0}}},
                 {"train", {{"steps", 3000}, {"log_every", 1000}, {"log_time", false}}},
                 {"data",
                  {{"source", "synthetic"},
                   {"generator", "linearly_separable"},
                   {"margin", 0.5},
                   {"n_train", 40},
                   {"n_test", 10}}}};
    std::vector<Json> rows;
    Json s = run_kind(user, rows);
    // Geometric grid: 1, 2, 3, 4, 5, 7, 9, 12, ... then every 1000 and the last step.
    REQUIRE(rows.size() > 20);
    CHECK(rows[1]["step"] == 1);
    CHECK(rows.back()["step"] == 2999);
    const double early = rows[5]["one_minus_cos"].get<double>();
    const double late = rows.back()["one_minus_cos"].get<double>();
    CHECK(late < early);
    CHECK(late < 0.05);
    CHECK(rows.back()["normalized_margin"].get<double>() <= s["svm_margin"].get<double>() + 1e-12);
    CHECK(rows.back()["w_norm"].get<double>() > rows[5]["w_norm"].get<double>());
  }
}
