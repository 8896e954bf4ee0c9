// gradlab/kind.h — an experiment kind as one descriptor.
//
// Everything the lab knows about a kind lives in one row (src/experiments/kinds/<kind>.cpp,
// listed once in src/experiments/registry.cpp): its name and one-line description, the config
// blocks it reads (so validation asks only for those, and refuses the others), its own config
// keys, the factory that builds it from a resolved config, an optional sweep-level summary,
// the devices it computes on, and its browser page. The schema's kind list, `gradlab list`,
// docs/config.md, schema.json (and through it the web build's pages) all derive from this
// table; docs/adding.md shows how to add a kind.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gradlab/config.h"
#include "gradlab/data.h"
#include "gradlab/experiment.h"

namespace gradlab {

// A config block ("data", "model", "loss", "optim", "train", "probe", "svm", "quadratic",
// "dtype", "device") a kind reads; with `unless_key` set, it does not read it when that
// key holds one of `unless_values` (double_descent's closed-form random features read no
// loss, optim or train).
struct KindBlock {
  std::string block;
  std::string unless_key;
  std::vector<Json> unless_values;
};

struct Kind {
  std::string name;
  std::string description;  // one line: what the lecture shows with it, with the paper
  std::vector<KindBlock> blocks;
  // The kind's own keys (svm.*, quadratic.*, train.fit_threshold, ...), appended to the schema
  // after the shared sections; nullptr when it has none.
  std::vector<KeySpec> (*keys)() = nullptr;
  std::unique_ptr<Experiment> (*make)(const Json& resolved_config) = nullptr;
  // A figure over a whole sweep (sweep_summary.json) from its sweep.jsonl rows, or null when
  // the rows do not make one; nullptr when the kind has none.
  Json (*sweep_summary)(const std::vector<Json>& rows) = nullptr;
  // Metrics row keys beyond the shared ones (step, loss, ...), for docs and the viewer.
  std::vector<std::string> row_keys;
  // "cpu", and "cuda" where its tensors may live on a GPU (config key `device`).
  std::vector<std::string> devices = {"cpu"};
  // What class labels of the npy / points sources may be (gradlab/data.h): class ids, or
  // any two values (the SVM kinds' −1/+1).
  LabelValues labels = LabelValues::ClassIds;
  // The browser page (JSON text: file, title, blurb, presets, fields, charts), or nullptr.
  const char* page = nullptr;
};

// Every implemented kind, in the order `gradlab list` prints them.
const std::vector<Kind>& experiment_kind_table();
// The kind named `name`, or nullptr.
const Kind* find_kind(const std::string& name);
// The kind a config names in its `kind` key, or nullptr when it names none or an unknown one.
const Kind* kind_of(const Json& config);
// "double_descent, edge_of_stability, ...": for messages.
std::string implemented_kind_names();
// Whether `kind` reads config block `block` given the config's other keys (KindBlock).
bool kind_reads_block(const Kind& kind, const std::string& block, const Json& config);
// The sweep-level summary of config's kind over sweep.jsonl rows; null when it has none.
Json sweep_summary(const Json& config, const std::vector<Json>& rows);
// The table as JSON for schema.json: [{name, description, blocks, blocks_unless, devices,
// row_keys, page}].
Json kinds_json();

}  // namespace gradlab
