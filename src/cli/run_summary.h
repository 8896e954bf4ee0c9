// The end of `gradlab run` for a person (src/cli/run_summary.cpp): a short account of the run
// with its numbers, the report's path and the command that repeats it; and the example
// configs `gradlab run --help` lists, one line each.
#pragma once

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

namespace gradlab::cli {

void print_run_summary(std::ostream& os, const nlohmann::json& config, const nlohmann::json& summary,
                       const std::string& out_dir, const std::string& report_path,
                       const std::string& reproduce);

// default.json, then experiments/<kind>/*.json, each with a line drawn from the config
// (kind · model · data · optimizer · length · sweep).
void print_example_configs(std::ostream& os);

}  // namespace gradlab::cli
