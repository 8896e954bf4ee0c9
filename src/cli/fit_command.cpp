// gradlab fit FILE --form chinchilla|power|kaplan|kaplan_nd|isoflop --x KEY[,KEY] --y KEY [options]
// (docs/fit.md): a scaling law fitted to a sweep.jsonl or a CSV; the JSON result on stdout and,
// with --out F, in F. The math is in src/fit/ (gradlab/fit.h).
#include <cmath>
#include <iostream>
#include <sstream>

#include "cli/cli.h"
#include "gradlab/error.h"
#include "gradlab/fit.h"
#include "gradlab/safetensors.h"

namespace gradlab::cli {
namespace {

std::vector<std::string> split_keys(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string k;
  while (std::getline(ss, k, ','))
    if (!k.empty()) out.push_back(k);
  return out;
}

double number(const std::string& flag, const std::string& s) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (s.empty() || used != s.size() || !std::isfinite(v))
    fail<ConfigError>("", flag, " expects a number, got \"", s, "\"");
  return v;
}

int64_t integer(const std::string& flag, const std::string& s) {
  const double v = number(flag, s);
  if (v != std::floor(v) || v < 0 || v > 1e9)
    fail<ConfigError>("", flag, " expects a non-negative integer, got \"", s, "\"");
  return static_cast<int64_t>(v);
}

}  // namespace

int cmd_fit(int argc, char** argv) {
  std::string file, out, x, y, grid_path, form = "";
  fit::FitOptions o;
  fit::RowFilter where;
  auto need = [&](int& i, const std::string& flag) -> std::string {
    if (i + 1 >= argc) fail<ConfigError>("", flag, " needs a value");
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if (s == "--form") form = need(i, s);
    else if (s == "--x") x = need(i, s);
    else if (s == "--y") y = need(i, s);
    else if (s == "--out") out = need(i, s);
    else if (s == "--bootstrap") o.bootstrap = static_cast<int>(integer(s, need(i, s)));
    else if (s == "--seed") o.seed = static_cast<uint64_t>(integer(s, need(i, s)));
    else if (s == "--interval") o.interval = number(s, need(i, s));
    else if (s == "--delta") o.huber_delta = number(s, need(i, s));
    else if (s == "--grid") grid_path = need(i, s);
    else if (s == "--bootstrap-starts") o.bootstrap_starts = static_cast<int>(integer(s, need(i, s)));
    else if (s == "--budget-tolerance") o.budget_tolerance = number(s, need(i, s));
    else if (s == "--window") o.window = static_cast<int>(integer(s, need(i, s)));
    else if (s == "--where") {
      const std::string rule = need(i, s);
      const size_t at = rule.find('=');
      if (at == std::string::npos || at == 0)
        fail<ConfigError>("--where expects KEY=VALUE (e.g. model.dim=64), got \"", rule, "\"");
      where.emplace_back(rule.substr(0, at), rule.substr(at + 1));
    } else if (s == "--holdout") {
      // KEY>=VALUE: rows with KEY at least VALUE are predicted, not fitted.
      const std::string rule = need(i, s);
      const size_t at = rule.find(">=");
      if (at == std::string::npos || at == 0)
        fail<ConfigError>("--holdout expects KEY>=VALUE (e.g. n_params>=5e5), got \"", rule, "\"");
      o.holdout_key = rule.substr(0, at);
      o.holdout_min = number("--holdout", rule.substr(at + 2));
    } else if (s.rfind("--", 0) == 0) {
      fail<ConfigError>("unknown option ", s,
                        " (options: --form --x --y --out --bootstrap --seed --interval --delta "
                        "--grid --bootstrap-starts --budget-tolerance --window --holdout --where)");
    } else if (file.empty()) {
      file = s;
    } else {
      fail<ConfigError>("unexpected argument \"", s, "\" (one input file expected)");
    }
  }
  if (file.empty()) fail<ConfigError>("an input file (sweep.jsonl or CSV) is required");
  if (form.empty()) fail<ConfigError>("--form chinchilla|power|kaplan|kaplan_nd|isoflop is required");
  if (x.empty()) fail<ConfigError>("--x KEY[,KEY] is required");
  if (y.empty()) fail<ConfigError>("--y KEY is required");
  if (!(o.interval > 0 && o.interval < 1))
    fail<ConfigError>("--interval must lie in (0, 1), got ", o.interval);
  o.form = fit::parse_form(form);
  if (!grid_path.empty()) {
    try {
      o.grid = Json::parse(read_file(grid_path));
    } catch (const Json::exception& e) {
      fail<ConfigError>("--grid ", grid_path, ": not JSON (", e.what(), ")");
    }
  }
  const fit::Table table = fit::read_table(file, split_keys(x), y, where);
  if (table.skipped > 0)
    std::cerr << "gradlab fit: skipped " << table.skipped << " row(s) whose status is not completed\n";
  const Json result = fit::fit_table(table, o);
  const std::string text = result.dump(2) + "\n";
  if (!out.empty()) write_file_atomic(out, text);
  std::cout << text;
  return 0;
}

}  // namespace gradlab::cli
