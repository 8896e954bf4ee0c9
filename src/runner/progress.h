// The progress line of `gradlab run` on stderr (src/runner/runner.cpp): step, loss, the latest
// sharpness against the stability threshold (2/η for GD) and the ETA. On a terminal it redraws
// in place (\r); otherwise it prints a plain line every ~5 s, so a log file stays readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace gradlab::runner_detail {

class Progress {
 public:
  // threshold_label: how the threshold is named on the line ("2/η" for GD, else "threshold").
  Progress(bool enabled, int64_t total, std::string threshold_label);
  // Called after every step with the step's row (nullptr when the step logged none).
  void update(int64_t step, const nlohmann::json* row, bool force = false);
  void finish();
  void set_first(int64_t s) { first_ = s; }
  // Takes the loss / sharpness / threshold a row carries (also the kept rows on --resume).
  void remember(const nlohmann::json& row);

 private:
  std::string line(int64_t step, double rate, double eta) const;
  bool enabled_;
  int64_t total_;
  bool tty_;
  std::string threshold_label_;
  int64_t first_ = 0;
  double loss_ = 0, sharpness_ = 0, threshold_ = 0;
  bool have_loss_ = false, have_sharpness_ = false, have_threshold_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace gradlab::runner_detail
