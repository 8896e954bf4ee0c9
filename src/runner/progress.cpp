// Progress line of gradlab run (src/runner/progress.h).
#include "runner/progress.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace gradlab::runner_detail {

Progress::Progress(bool enabled, int64_t total, std::string threshold_label)
    : enabled_(enabled), total_(total), tty_(::isatty(2)), threshold_label_(std::move(threshold_label)) {}

void Progress::remember(const nlohmann::json& row) {
  auto number = [&](const char* key, double& out, bool& have) {
    auto it = row.find(key);
    if (it == row.end()) return;
    out = it->is_number() ? it->get<double>() : NAN;  // a NaN is written as null
    have = true;
  };
  number("loss", loss_, have_loss_);
  number("sharpness", sharpness_, have_sharpness_);
  number("threshold", threshold_, have_threshold_);
}

std::string Progress::line(int64_t step, double rate, double eta) const {
  // Before the first logged row (and on resume, before the kept rows were seen) the loss is
  // not known: say so, rather than print a NaN that reads like a diverged run.
  char loss[32] = "-";
  if (have_loss_) std::snprintf(loss, sizeof loss, "%.6g", loss_);
  char eta_text[32];
  if (rate <= 0) std::snprintf(eta_text, sizeof eta_text, "ETA -");
  else if (eta >= 120) std::snprintf(eta_text, sizeof eta_text, "ETA %.0fm%02.0fs", std::floor(eta / 60), std::fmod(eta, 60.0));
  else std::snprintf(eta_text, sizeof eta_text, "ETA %.0fs", eta);
  char buf[256];
  int n = std::snprintf(buf, sizeof buf, "step %lld/%lld  loss %s", static_cast<long long>(step),
                        static_cast<long long>(total_), loss);
  std::string out(buf, static_cast<size_t>(n));
  if (have_sharpness_) {
    std::snprintf(buf, sizeof buf, "  sharpness %.4g", sharpness_);
    out += buf;
    if (have_threshold_) {
      std::snprintf(buf, sizeof buf, " / %s %.4g", threshold_label_.c_str(), threshold_);
      out += buf;
    }
  }
  std::snprintf(buf, sizeof buf, "  %.1f steps/s  %s", rate, eta_text);
  return out + buf;
}

void Progress::update(int64_t step, const nlohmann::json* row, bool force) {
  if (!enabled_) return;
  if (row) remember(*row);
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_).count();
  if (!force && since < (tty_ ? 0.1 : 5.0)) return;
  last_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double rate = elapsed > 0 ? (step - first_) / elapsed : 0;
  double eta = rate > 0 ? (total_ - step) / rate : 0;
  if (tty_) {
    // \r back to the line's start, ESC[K clears what a longer previous line left.
    std::cerr << "\r" << line(step, rate, eta) << "\x1b[K" << std::flush;
  } else {
    std::cerr << line(step, rate, eta) << "\n" << std::flush;
  }
}

void Progress::finish() {
  if (enabled_ && tty_) std::cerr << "\n";
}

}  // namespace gradlab::runner_detail
