// report.h — the parts of `gradlab report` (report.cpp) that work on bytes in memory: the
// metrics.jsonl reader and the pages. cmd_report reads the files and calls these; the fuzz
// target tests/fuzz/fuzz_report.cpp hands them arbitrary bytes.
#pragma once

#include <string>
#include <vector>

#include "gradlab/config.h"

namespace gradlab::cli {

// One run of a folder: its metrics rows, summary.json and config.json (null when absent).
struct ReportRun {
  std::string id;
  std::vector<Json> rows;
  Json summary, config;
};

// The rows of a metrics.jsonl file's text, one JSON object per non-empty line. IOError
// "PATH:LINE: ..." naming the first line that is not one (or is nested too deep).
std::vector<Json> parse_metrics_rows(const std::string& text, const std::string& path);

// The report.html of a run folder, and of a sweep folder (every run overlaid).
std::string run_report_page(const std::string& dir, const ReportRun& run);
std::string sweep_report_page(const std::string& dir, const std::vector<ReportRun>& runs);

}  // namespace gradlab::cli
