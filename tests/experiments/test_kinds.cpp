// test_kinds.cpp — the kind descriptor (gradlab/kind.h): a config holds only the blocks its
// kind reads, planned kinds do not validate, the schema's kind list / schema.json / the sweep
// summary all come from the one table, and the SVM kinds take any two label values.
#include <catch2/catch.hpp>

#include <algorithm>

#include "gradlab/config.h"
#include "gradlab/error.h"
#include "gradlab/experiment.h"
#include "gradlab/kind.h"

using namespace gradlab;
using Catch::Matchers::Contains;

namespace {

std::string config_error(const Json& user) {
  try {
    resolve_config(user);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

Json run(const Json& user, std::vector<Json>* rows_out = nullptr) {
  std::unique_ptr<Experiment> e = make_experiment(resolve_config(user));
  std::vector<Json> rows;
  while (!e->done())
    if (auto r = e->step()) rows.push_back(*r);
  if (rows_out) *rows_out = rows;
  return e->summary(rows);
}

// Six points of two classes, separable with margin; `labels` in any convention.
Json svm_points(const Json& labels) {
  return {{"kind", "svm_margin"},
          {"data",
           {{"source", "points"},
            {"points", {{0.3, 0.5}, {0.6, 0.2}, {0.8, 0.6}, {-0.4, -0.3}, {-0.1, -0.6}, {-0.7, -0.6}}},
            {"labels", labels}}},
          {"svm", {{"kernel", "linear"}, {"C", "inf"}}}};
}

Json random_features(int64_t n_features) {
  return {{"kind", "double_descent"},
          {"seed", 1},
          {"data",
           {{"source", "synthetic"}, {"generator", "gaussian_mixture"}, {"n_train", 40},
            {"n_test", 40}}},
          {"model", {{"type", "random_features"}, {"n_features", n_features}}}};
}

}  // namespace

TEST_CASE("kinds: svm_margin runs from data + svm alone and takes labels -1/+1", "[kinds][svm]") {
  const Json zero_one = run(svm_points({1, 1, 1, 0, 0, 0}));
  const Json signed_labels = run(svm_points({1, 1, 1, -1, -1, -1}));
  const Json one_two = run(svm_points({2, 2, 2, 1, 1, 1}));
  REQUIRE(zero_one.contains("margin"));
  // The smaller value is −1 in every convention: the same problem, the same solution.
  CHECK(signed_labels["margin"] == zero_one["margin"]);
  CHECK(one_two["margin"] == zero_one["margin"]);
  CHECK(signed_labels["n_sv"] == zero_one["n_sv"]);
  // Flipping which class is the smaller value flips nothing about the margin.
  CHECK(run(svm_points({-1, -1, -1, 1, 1, 1}))["margin"].get<double>() ==
        Approx(zero_one["margin"].get<double>()).epsilon(1e-5));  // SMO stops at tol 1e-6
  // Three values validate (any integers; validation reads no data) but do not load.
  CHECK(config_error(svm_points({1, 0, -1, 1, 0, -1})).empty());
  CHECK_THROWS_WITH(run(svm_points({1, 0, -1, 1, 0, -1})),
                    Contains("the labels take 3 values (-1, 0, 1)"));
}

TEST_CASE("kinds: a block the kind does not read is an error naming what it reads", "[kinds]") {
  Json svm = svm_points({1, 1, 1, 0, 0, 0});
  svm["loss"] = "hinge";
  CHECK(config_error(svm).rfind("loss does not apply to kind \"svm_margin\" (it reads data, svm,", 0) == 0);
  svm.erase("loss");
  svm["optim"] = {{"type", "gd"}, {"lr", 0.1}};
  CHECK_THAT(config_error(svm), Contains("optim.type does not apply to kind \"svm_margin\""));
  // The runner's own keys apply to every kind.
  svm.erase("optim");
  svm["train"] = {{"log_time", false}};
  CHECK(config_error(svm).empty());
  svm["train"]["steps"] = 3;
  CHECK_THAT(config_error(svm), Contains("train.steps does not apply to kind \"svm_margin\""));

  // Class ids stay non-negative for the kinds that train on class ids.
  Json eos = {{"kind", "edge_of_stability"},
              {"data", svm_points({1, 1, 1, -1, -1, -1})["data"]},
              {"model", {{"type", "linear"}}},
              {"loss", "cross_entropy"},
              {"optim", {{"type", "gd"}, {"lr", 0.1}}},
              {"train", {{"steps", 2}}}};
  CHECK_THAT(config_error(eos), Contains("labels"));
  CHECK_THAT(config_error(eos), Contains(">= 0"));
}

TEST_CASE("kinds: random-features double descent runs from data + model alone", "[kinds]") {
  const Json s = run(random_features(8));
  CHECK(s["n_features"] == 8);
  // A closed-form fit reads no optimizer: giving one is an error, while the MLP form needs it.
  Json with_optim = random_features(8);
  with_optim["optim"] = {{"type", "gd"}, {"lr", 0.1}};
  CHECK_THAT(config_error(with_optim), Contains("optim.type does not apply to kind \"double_descent\""));
  Json mlp = random_features(8);
  mlp["model"] = {{"type", "mlp"}, {"widths", {4}}};
  CHECK_THAT(config_error(mlp), Contains("missing required key"));
}

TEST_CASE("kinds: a planned or unknown kind fails validation naming the implemented ones",
          "[kinds]") {
  for (const char* planned : {"lottery_ticket", "scaling_laws", "nonsense"}) {
    Json user = {{"kind", planned}};
    const std::string error = config_error(user);
    INFO(error);
    CHECK(error.rfind(std::string("kind: \"") + planned + "\" is not one of edge_of_stability, ",
                      0) == 0);
    CHECK_THAT(error, Contains("random_labels"));
  }
}

TEST_CASE("kinds: the schema, schema.json and the sweep summary derive from the table",
          "[kinds]") {
  std::vector<std::string> table;
  for (const Kind& kind : experiment_kind_table()) table.push_back(kind.name);
  std::vector<std::string> schema_kinds;
  for (const KeySpec& spec : config_schema().keys)
    if (spec.path == "kind")
      for (const Json& choice : spec.choices) schema_kinds.push_back(choice.get<std::string>());
  CHECK(schema_kinds == table);

  const Json exported = schema_json()["kinds"];
  REQUIRE(exported.size() == table.size());
  for (size_t i = 0; i < table.size(); ++i) {
    CHECK(exported[i]["name"] == table[i]);
    const Json& page = exported[i]["page"];
    if (page.is_null()) continue;
    CHECK(page["file"].get<std::string>().find(".html") != std::string::npos);
    CHECK(page.contains("title"));
  }
  // Every kind's own keys are in the schema, tagged with their block.
  for (const Kind& kind : experiment_kind_table()) {
    if (kind.keys == nullptr) continue;
    for (const KeySpec& own : kind.keys()) {
      const auto& keys = config_schema().keys;
      CHECK(std::any_of(keys.begin(), keys.end(),
                        [&](const KeySpec& k) { return k.path == own.path; }));
    }
  }

  // sweep_summary dispatches on the config's kind.
  std::vector<Json> rows;
  for (int64_t n : {4, 40, 400}) {
    Json row = run(random_features(n));
    row["n_features"] = n;
    rows.push_back(row);
  }
  const Json dd = sweep_summary(resolve_config(random_features(4)), rows);
  CHECK_FALSE(dd.is_null());
  Json eos = {{"kind", "edge_of_stability"}};
  CHECK(sweep_summary(eos, rows).is_null());
}
