// Tests of the `points` data source (src/data/points.cpp): inputs and class ids written
// inline in the config, as the browser's SVM page stores the points a person clicks. The
// rows must arrive unchanged and in order (the page maps support-vector indices back to its
// points), and every malformed block must be rejected with a message naming the key, both
// by the data loader and by the config schema (`gradlab validate`, the page's Session).
#include <catch2/catch.hpp>

#include "data/data_internal.h"
#include "data_test_util.h"
#include "gradlab/config.h"
#include "gradlab/data.h"
#include "gradlab/error.h"

using namespace gradlab;
using Catch::Matchers::Contains;
using data_test::error_of;

namespace {

Json points_block() {
  return Json::parse(R"({"source": "points",
    "points": [[0.5, -1], [2, 3.25], [-1.5, 0], [4, 4]], "labels": [1, 0, 1, 1]})");
}

// A complete svm_margin config around a data block (what the page sends to the Session):
// the kind reads data and svm, nothing else.
Json svm_config(const Json& data) {
  return {{"kind", "svm_margin"}, {"data", data}, {"svm", {{"C", "inf"}}}};
}

}  // namespace

TEST_CASE("data: points keeps the rows and labels as given, in order", "[data]") {
  const Dataset ds = load_dataset(points_block(), 0);
  REQUIRE(ds.train.n == 4);
  CHECK(ds.test.n == 0);
  CHECK(ds.input_shape == std::vector<int64_t>{2});
  CHECK(ds.num_classes == 2);
  CHECK(ds.train.x == std::vector<double>{0.5, -1, 2, 3.25, -1.5, 0, 4, 4});
  CHECK(ds.train.labels == std::vector<int64_t>{1, 0, 1, 1});
  CHECK(ds.description == "points: 4 train / 0 test, 2 classes, input [2]");

  // One class only still reads as a two-class problem (the solver reports the missing class).
  Json one_class = points_block();
  one_class["labels"] = {0, 0, 0, 0};
  CHECK(load_dataset(one_class, 0).num_classes == 2);
  // More classes, a class subset (relabelled in the order listed) and a first-n subset.
  Json three = points_block();
  three["labels"] = {2, 0, 1, 2};
  three["classes"] = {2, 1};
  three["n_train"] = 2;
  const Dataset sub = load_dataset(three, 0);
  CHECK(sub.train.x == std::vector<double>{0.5, -1, -1.5, 0});
  CHECK(sub.train.labels == std::vector<int64_t>{0, 1});
  // Preprocessing applies as for any source.
  Json centered = points_block();
  centered["preprocess"] = {"center"};
  const Dataset c = load_dataset(centered, 0);
  CHECK(c.train.x[0] == Approx(0.5 - 1.25));
  CHECK(c.train.x[1] == Approx(-1 - 1.5625));
}

TEST_CASE("data: malformed points blocks fail with the key named", "[data]") {
  auto loader_error = [](const Json& block) {
    return error_of<ConfigError>([&] { load_dataset(block, 0); });
  };
  Json b = points_block();
  b["points"][2] = {1.0};
  CHECK_THAT(loader_error(b), Contains("data.points[2]") && Contains("a row of 2 numbers"));
  b = points_block();
  b["points"][1] = {1, "two"};
  CHECK_THAT(loader_error(b), Contains("data.points[1]: expected numbers"));
  b = points_block();
  b["labels"] = {1, 0};
  CHECK_THAT(loader_error(b), Contains("data.labels has 2 entries but data.points has 4 rows"));
  b = points_block();
  b["labels"][0] = -1;
  CHECK_THAT(loader_error(b), Contains("data.labels"));
  b = points_block();
  b["points"] = Json::array();
  CHECK_THAT(loader_error(b), Contains("data.points") && Contains("non-empty"));
  b = points_block();
  b.erase("labels");
  CHECK_THAT(loader_error(b), Contains("data.labels is required"));
  b = points_block();
  b["path"] = "x.npy";
  CHECK_THAT(loader_error(b), Contains("unknown key data.path for source points"));
}

TEST_CASE("config: the schema checks points blocks as the loader does", "[config]") {
  auto schema_error = [](const Json& data) {
    return error_of<ConfigError>([&] { resolve_config(svm_config(data)); });
  };
  CHECK_NOTHROW(resolve_config(svm_config(points_block())));
  Json b = points_block();
  b["points"][1] = {1, 2, 3};
  CHECK_THAT(schema_error(b), Contains("data.points[1]: has 3 numbers but data.points[0] has 2"));
  b = points_block();
  b["points"][3] = 7;
  CHECK_THAT(schema_error(b), Contains("data.points[3]: expected a row of numbers"));
  b = points_block();
  b["points"] = Json::array();
  CHECK_THAT(schema_error(b), Contains("data.points: expected at least 1 item"));
  b = points_block();
  b["points"][0][1] = "y";
  CHECK_THAT(schema_error(b), Contains("data.points[0][1]: expected a number"));
  b = points_block();
  b["labels"] = {1, 0, 1};
  CHECK_THAT(schema_error(b), Contains("data.labels has 3 entries but data.points has 4 rows"));
  b = points_block();
  b["labels"][1] = 0.5;
  CHECK_THAT(schema_error(b), Contains("data.labels[1]: expected an integer"));
  b = points_block();
  b["generator"] = "xor";
  CHECK_THAT(schema_error(b), Contains("data.generator"));
  // The resolved block equals the data loader's own resolution (defaults filled alike).
  const Json resolved = resolve_config(svm_config(points_block()));
  CHECK(resolved["data"] == resolve_data_config(points_block()));
  CHECK(resolved["data"]["points"] == points_block()["points"]);
}
