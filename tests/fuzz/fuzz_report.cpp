// fuzz_report — `gradlab report` (src/cli/report.cpp) on arbitrary bytes: the input is a run
// folder's metrics.jsonl, summary.json and config.json joined by the byte 0x1e (record
// separator; the later parts may be absent). The rows are parsed, the JSON files parsed with
// the same bounds, and both pages (a run's, and a sweep's of that run twice) are rendered.
#include <cstdint>
#include <string>

#include "cli/report.h"
#include "fuzz_util.h"
#include "gradlab/json_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::string parts[3];
  size_t start = 0;
  for (int p = 0; p < 3 && start <= input.size(); ++p) {
    size_t end = input.find('\x1e', start);
    if (end == std::string::npos || p == 2) end = input.size();
    parts[p] = input.substr(start, end - start);
    start = end + 1;
  }
  const std::string name = "fuzz-run";
  fuzz::expect_clean_error(name, [&] {
    gradlab::cli::ReportRun run;
    run.id = "a";
    run.rows = gradlab::cli::parse_metrics_rows(parts[0], name + "/metrics.jsonl");
    if (!parts[1].empty()) run.summary = gradlab::parse_json_text(parts[1], name + "/summary.json");
    if (!parts[2].empty()) run.config = gradlab::parse_json_text(parts[2], name + "/config.json");
    gradlab::cli::run_report_page(name, run);
    gradlab::cli::ReportRun second = run;
    second.id = "b";
    gradlab::cli::sweep_report_page(name, {run, second});
  });
  return 0;
}
