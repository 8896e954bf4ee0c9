// test_double_descent.cpp — random-features double descent (src/experiments/double_descent.cpp)
// and the random_labels summary (src/experiments/random_labels.cpp).
//
// Double descent (Belkin et al. 2019) on a small instance: n = 200 Fashion-MNIST examples,
// ReLU random features, N on a log grid 0.1n … 10n (21 points, N = n included). With the
// minimum-norm fit the test error peaks within one grid step of N = n, ‖W‖ peaks there too,
// N = 10n beats every N < n, and ridge λ > 0 removes the peak. These cases read the gzip IDX
// files of the Debian package, which only the native build can (no zlib in WASM), so they are
// compiled natively only; the WASM build runs the config-level cases below them.
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "experiments/double_descent.h"
#include "experiments/training.h"
#include "gradlab/config.h"

using namespace gradlab;

namespace {

constexpr int64_t kTrain = 200;

bool have_fashion_mnist() {
  return std::ifstream("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").good();
}
// The dataset is a declared dependency (./lab setup installs dataset-fashion-mnist): its
// absence is a failure, not a skip.
#define REQUIRE_MESSAGE_FASHION()                                                    \
  do {                                                                               \
    INFO("dataset-fashion-mnist is not installed: run ./lab setup");                 \
    REQUIRE(have_fashion_mnist());                                                   \
  } while (0)

Json rf_config(int64_t n_features, double ridge) {
  Json user = {
      {"kind", "double_descent"},
      {"seed", 0},
      {"data",
       {{"source", "fashion_mnist"}, {"n_train", kTrain}, {"n_test", 500},
        {"preprocess", {"standardize"}}}},
      {"model",
       {{"type", "random_features"}, {"n_features", n_features}, {"features", "relu"},
        {"ridge", ridge}}}};
  return resolve_config(user);
}

Json fit(int64_t n_features, double ridge) {
  DoubleDescentExperiment e(rf_config(n_features, ridge));
  std::optional<Json> row = e.step();
  REQUIRE(row);
  REQUIRE(e.done());
  REQUIRE(e.coefficients().size() == static_cast<size_t>(n_features * 10));
  return e.summary({*row});
}

}  // namespace

#if !defined(GRADLAB_WASM)  // gzip IDX files: native only (see the top of this file)
TEST_CASE("double_descent: min-norm random features peak at N = n, ridge removes the peak",
          "[double_descent]") {
  REQUIRE_MESSAGE_FASHION();
  std::vector<Json> rows;
  for (int k = -10; k <= 10; ++k)
    rows.push_back(fit(std::llround(kTrain * std::pow(10.0, k / 10.0)), 0.0));
  REQUIRE(rows[10]["n_features"] == kTrain);
  for (const Json& r : rows) {
    CHECK(r["n_params"] == r["n_features"].get<int64_t>() * 10);
    // Past the threshold the minimum-norm solution interpolates the one-hot targets.
    if (r["n_features"].get<int64_t>() >= kTrain) CHECK(r["loss"].get<double>() < 1e-8);
  }

  Json s = double_descent_sweep_summary(rows);
  REQUIRE(s["curves"].size() == 1);
  const Json& c = s["curves"][0];
  INFO(s.dump(1));
  CHECK(c["interpolation_threshold"] == kTrain);
  CHECK(std::abs(c["test_error_peak_grid_steps_from_threshold"].get<int64_t>()) <= 1);
  CHECK(std::abs(c["param_norm_peak_grid_steps_from_threshold"].get<int64_t>()) <= 1);
  CHECK(c["test_error_at_max_n_features"].get<double>() <
        c["best_test_error_below_threshold"].get<double>());
  // The peak is a real peak, far above both sides.
  CHECK(c["test_error_peak"].get<double>() > c["best_test_error_below_threshold"].get<double>() + 0.2);

  // Ridge: at N = n the error and the norm stay at the level of the neighbouring widths.
  Json ridge_half = fit(kTrain / 2, 0.1);
  Json ridge_at_n = fit(kTrain, 0.1);
  const Json& minnorm_at_n = rows[10];
  CHECK(ridge_at_n["test_error"].get<double>() < minnorm_at_n["test_error"].get<double>() - 0.2);
  CHECK(ridge_at_n["test_error"].get<double>() <= ridge_half["test_error"].get<double>() + 0.02);
  CHECK(ridge_at_n["param_norm"].get<double>() < 0.1 * minnorm_at_n["param_norm"].get<double>());
}

TEST_CASE("double_descent: features are nested and seeded, bad configs name the key",
          "[double_descent]") {
  REQUIRE_MESSAGE_FASHION();
  // Same seed, same fit, bit for bit.
  Json a = fit(50, 0.0), b = fit(50, 0.0);
  CHECK(a["param_norm"].get<double>() == b["param_norm"].get<double>());
  CHECK(a["test_loss"].get<double>() == b["test_loss"].get<double>());

  Json bad = rf_config(50, 0.0);
  // The closed-form fit reads no loss: validation refuses one.
  bad["loss"] = "cross_entropy";
  CHECK_THROWS_WITH(validate_config(bad),
                    Catch::Contains("loss does not apply to kind \"double_descent\""));
  bad = rf_config(50, 0.0);
  bad["model"]["type"] = "mlp";
  CHECK_THROWS_WITH(DoubleDescentExperiment(bad), Catch::Contains("model.type"));
}

#endif

TEST_CASE("double_descent: the sweep summary is null for other sweeps", "[double_descent]") {
  std::vector<Json> rows = {{{"lr", 0.1}, {"final_loss", 1.0}}};
  CHECK(double_descent_sweep_summary(rows).is_null());
}

#if !defined(GRADLAB_WASM)  // gzip IDX files: native only (see the top of this file)
TEST_CASE("random_labels: summary has epochs_to_fit, test error and the noisy indices",
          "[double_descent][random_labels]") {
  REQUIRE_MESSAGE_FASHION();
  Json user = {{"kind", "random_labels"},
               {"seed", 3},
               {"loss", "cross_entropy"},
               {"data",
                {{"source", "fashion_mnist"}, {"n_train", 64}, {"n_test", 32},
                 {"preprocess", {"standardize"}}, {"label_noise", 0.5}}},
               {"model", {{"type", "mlp"}, {"widths", {32}}}},
               {"optim", {{"type", "momentum"}, {"lr", 0.05}, {"momentum", 0.9}}},
               {"train", {{"epochs", 40}, {"batch_size", 16}, {"log_every", 4}}}};
  std::unique_ptr<Experiment> made = make_experiment(resolve_config(user));
  auto& e = dynamic_cast<TrainingExperiment&>(*made);
  std::vector<Json> rows;
  while (!e.done())
    if (auto row = e.step()) rows.push_back(*row);
  Json s = e.summary(rows);
  CHECK(s["steps_per_epoch"] == 4);
  // About half the labels were replaced, and the summary lists exactly the data layer's set.
  CHECK(s["noisy_indices"].get<std::vector<int64_t>>() == e.data().noisy_indices);
  CHECK(s["n_noisy"].get<int64_t>() > 16);
  CHECK(s["n_noisy"].get<int64_t>() < 48);
  // epochs_to_fit is the first logged row at 100% train accuracy.
  Json first = nullptr;
  for (const Json& r : rows)
    if (r.value("train_acc", 0.0) >= 1.0) {
      first = r["step"];
      break;
    }
  CHECK(s["steps_to_fit"] == first);
  if (!first.is_null())
    CHECK(s["epochs_to_fit"].get<double>() == Approx(first.get<int64_t>() / 4.0));
  CHECK(s["final_test_error"].get<double>() == Approx(1.0 - s["final_test_acc"].get<double>()));

  // A loss threshold above the initial loss counts the run as fitted at step 0.
  user["train"]["fit_threshold"] = 100.0;
  user["train"]["epochs"] = 1;
  std::unique_ptr<Experiment> loose = make_experiment(resolve_config(user));
  rows.clear();
  while (!loose->done())
    if (auto row = loose->step()) rows.push_back(*row);
  Json ls = loose->summary(rows);
  CHECK(ls["steps_to_fit"] == 0);
  CHECK(ls["fit_criterion"] == "loss <= train.fit_threshold");
}
#endif
