// The SVM kinds on the `points` data source — the configs the browser's SVM page
// (web/svm.html) sends to its worker and exports: the page's default preset runs natively
// and gives exactly what svm::solve gives on the same arrays (so a margin shown in the page
// is the C++ solver's), and the degenerate sets a person can click together (one class,
// the same point with both labels under a hard margin) fail with the solver's messages.
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "gradlab/config.h"
#include "gradlab/error.h"
#include "gradlab/experiment.h"
#include "gradlab/svm.h"

using namespace gradlab;
using Catch::Matchers::Contains;

namespace {

Json read_preset() {
  const std::string path = std::string(GRADLAB_SOURCE_DIR) + "/experiments/svm/points.json";
  std::ifstream in(path);
  INFO(path);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return Json::parse(text.str());
}

Json run_points(const Json& user, std::vector<Json>& rows) {
  std::unique_ptr<Experiment> e = make_experiment(resolve_config(user));
  while (!e->done())
    if (auto r = e->step()) rows.push_back(*r);
  return e->summary(rows);
}

std::string step_error(const Json& user) {
  std::vector<Json> rows;
  try {
    run_points(user, rows);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// The preset's points as solver arrays: x (n, d), y = +1 for label 1, −1 for label 0.
void arrays(const Json& config, std::vector<double>& x, std::vector<double>& y) {
  for (const Json& row : config["data"]["points"])
    for (const Json& v : row) x.push_back(v.get<double>());
  for (const Json& l : config["data"]["labels"]) y.push_back(l.get<int>() == 1 ? 1.0 : -1.0);
}

}  // namespace

TEST_CASE("svm_margin on points: the page's preset equals svm::solve on the same arrays", "[svm]") {
  const Json preset = read_preset();
  std::vector<double> x, y;
  arrays(preset, x, y);
  for (const char* kernel : {"linear", "rbf", "poly"}) {
    for (const Json& c : {Json("inf"), Json(1.0)}) {
      INFO(kernel << " C = " << c.dump());
      Json user = preset;
      user["svm"]["kernel"] = kernel;
      user["svm"]["C"] = c;
      if (user["svm"]["kernel"] != "linear") user["svm"]["gamma"] = 2.0;
      if (user["svm"]["kernel"] == "poly") user["svm"]["degree"] = 3, user["svm"]["coef0"] = 1.0;
      std::vector<Json> rows;
      const Json s = run_points(user, rows);
      svm::Options o;
      o.kernel.type = svm::parse_kernel(kernel);
      o.kernel.gamma = 2.0;
      o.kernel.degree = 3;
      o.kernel.coef0 = 1.0;
      o.C = c.is_string() ? std::numeric_limits<double>::infinity() : c.get<double>();
      const svm::Model m = svm::solve(x, y, 2, o);
      CHECK(s["margin"].get<double>() == m.margin);
      CHECK(s["bias"].get<double>() == m.bias);
      CHECK(s["support_indices"].get<std::vector<int64_t>>() == m.support);
      CHECK(s["dual_coef"].get<std::vector<double>>() == m.dual_coef);
      CHECK(s["margin_sv_indices"].get<std::vector<int64_t>>() == m.margin_sv);
      CHECK(s["train_error"].get<double>() == 0.0);
      CHECK(!s.contains("test_error"));
      // The bound with the documented normalisation: ρ̃ = ρ/R, R = max √K(xᵢ, xᵢ).
      double r2 = 0;
      for (size_t i = 0; i < y.size(); ++i) r2 = std::max(r2, o.kernel(&x[2 * i], &x[2 * i], 2));
      const double rho = m.margin / std::sqrt(r2), n = double(y.size());
      CHECK(s["margin_normalized"].get<double>() == Approx(rho));
      CHECK(s["bound_complexity"].get<double>() == Approx(2 / (rho * std::sqrt(n))));
    }
  }
}

TEST_CASE("svm kinds on points: the degenerate sets of the page fail with the solver's message",
          "[svm]") {
  Json user = read_preset();
  user["data"]["labels"] = Json::array();
  for (size_t i = 0; i < user["data"]["points"].size(); ++i) user["data"]["labels"].push_back(0);
  CHECK_THAT(step_error(user), Contains("training labels are -1") && Contains("both classes"));

  user = read_preset();
  user["data"]["points"].push_back(user["data"]["points"][0]);  // label 1 at index 0
  user["data"]["labels"].push_back(0);
  CHECK_THAT(step_error(user),
             Contains("examples 0 and 12 are the same point with opposite labels"));
  user["svm"]["C"] = 1.0;  // a soft margin accepts them
  CHECK(step_error(user) == "(no error)");

  // implicit_bias on the same points with a constant feature (the page's GD panel): runs,
  // and the angle to the bias-free SVM direction closes.
  Json gd = {{"kind", "implicit_bias"},
             {"loss", "logistic"},
             {"model", {{"type", "linear"}, {"bias", false}}},
             {"optim", {{"type", "gd"}, {"lr", 1.0}}},
             {"train", {{"steps", 20000}, {"log_every", 100000}, {"log_time", false}}},
             {"data", read_preset()["data"]}};
  for (Json& row : gd["data"]["points"]) row.push_back(1.0);
  std::vector<Json> rows;
  const Json s = run_points(gd, rows);
  REQUIRE(rows.size() > 10);
  CHECK(rows.back()["one_minus_cos"].get<double>() < rows[3]["one_minus_cos"].get<double>());
  CHECK(rows.back()["one_minus_cos"].get<double>() < 1e-2);
  CHECK(s["svm_w"].size() == 3);
}
