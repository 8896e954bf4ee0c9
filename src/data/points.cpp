// points.cpp — the `points` source: a small data set written inline in the config.
//
//   "data": {"source": "points", "points": [[x1, x2], ...], "labels": [0, 1, ...]}
//
// Made for the browser's SVM page (web/svm.html), where the examples are points a person
// clicks: keeping them in the config means the URL hash, the exported config.json and
// `gradlab run` all describe the same run, with no side file. Every row is one training
// example (input_shape {d}, d = the row length); there is no test split. Class ids are the
// labels as given; the problem has max(2, max label + 1) classes, so a two-class set whose
// points are (for now) all of one class still reads as a two-class problem with a class
// absent, and the SVM solver, not the loader, names what is wrong with it.
#include <algorithm>
#include <memory>

#include "data/data_internal.h"
#include "gradlab/error.h"

namespace gradlab::data {

SourceData load_points(const DataConfig& config) {
  // config.block was checked by resolve_data_config_impl: non-empty rows of one length,
  // numbers only, one non-negative integer label per row.
  const nlohmann::json& rows = config.block.at("points");
  const std::vector<int64_t> labels = config.block.at("labels").get<std::vector<int64_t>>();
  const auto n = static_cast<int64_t>(rows.size());
  const auto d = static_cast<int64_t>(rows.at(0).size());

  auto x = std::make_shared<std::vector<double>>();  // (n, d) row-major
  x->reserve(static_cast<size_t>(n * d));
  for (const nlohmann::json& row : rows)
    for (const nlohmann::json& value : row) x->push_back(value.get<double>());

  SourceData source;
  source.name = "points";
  source.input_shape = {d};
  source.label_shape = {};
  source.num_classes = std::max<int64_t>(2, *std::max_element(labels.begin(), labels.end()) + 1);
  source.train.n = n;
  source.train.labels = labels;
  source.train.read_input = [x, d](int64_t i, double* out) {
    std::copy(x->begin() + i * d, x->begin() + (i + 1) * d, out);
  };
  source.test.n = 0;
  source.test.read_input = [](int64_t, double*) {};
  return source;
}

}  // namespace gradlab::data
