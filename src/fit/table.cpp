// table.cpp — the points a fit reads: rows of a sweep.jsonl (`gradlab sweep`, docs/runner.md)
// or of a CSV file with a header line. Every value a fit uses must be a positive finite number
// (the forms take logarithms); anything else is a ConfigError naming the row and the key.
#include <cmath>
#include <string>
#include <vector>

#include "gradlab/error.h"
#include "gradlab/fit.h"
#include "gradlab/safetensors.h"

namespace gradlab::fit {
namespace {

// s cut at each `sep`, as a std::getline loop reads it (a final empty piece is not one), without
// <sstream>: a stringstream links iostreams into the browser module (~45 KB gzipped, gradlab/text.h).
std::vector<std::string> pieces(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < s.size()) {
    const size_t end = s.find(sep, at);
    if (end == std::string::npos) {
      out.push_back(s.substr(at));
      break;
    }
    out.push_back(s.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// A sweep row's value for `key`: the key itself ("optim.lr" is a top-level key of sweep rows),
// else the dotted path into nested objects; nullptr when absent.
const Json* lookup(const Json& row, const std::string& key) {
  if (row.contains(key)) return &row[key];
  const Json* at = &row;
  for (const std::string& part : pieces(key, '.')) {
    if (!at->is_object() || !at->contains(part)) return nullptr;
    at = &(*at)[part];
  }
  return at;
}

double positive(double v, const std::string& where, const std::string& key) {
  if (!std::isfinite(v) || v <= 0)
    fail<ConfigError>(where, ": ", key, " = ", v,
                      " is not a positive finite number (scaling-law fits take its logarithm)");
  return v;
}

// Whether a value (a JSON value, or a CSV cell as a string) equals a --where value.
bool matches(const Json& v, const std::string& want) {
  if (v.is_number()) {
    try {
      size_t used = 0;
      const double w = std::stod(want, &used);
      return used == want.size() && v.get<double>() == w;
    } catch (const std::exception&) {
      return false;
    }
  }
  return (v.is_string() ? v.get<std::string>() : v.dump()) == want;
}

// A CSV cell as JSON: a number when all of it parses as one, else the string.
Json cell_json(const std::string& cell) {
  try {
    size_t used = 0;
    const double v = std::stod(cell, &used);
    if (used == cell.size()) return v;
  } catch (const std::exception&) {
  }
  return cell;
}

void check_sizes(const Table& t, const std::string& name, const RowFilter& where) {
  if (t.y.empty())
    fail<ConfigError>(name, ": no usable rows (", t.skipped, " skipped as not completed",
                      where.empty() ? "" : "; the others do not match --where", ")");
}

Table parse_jsonl(const std::string& text, const std::string& name,
                  const std::vector<std::string>& x_keys, const std::string& y_key,
                  const RowFilter& where) {
  Table t;
  t.x_keys = x_keys;
  t.y_key = y_key;
  int number = 0;
  for (const std::string& line : pieces(text, '\n')) {
    ++number;
    if (trim(line).empty()) continue;
    Json row;
    try {
      row = Json::parse(line);
    } catch (const std::exception& e) {
      fail<ConfigError>(name, " line ", number, ": not a JSON object (", e.what(), ")");
    }
    if (!row.is_object()) fail<ConfigError>(name, " line ", number, ": not a JSON object");
    const std::string id =
        row.contains("id") && row["id"].is_string() ? row["id"].get<std::string>()
                                                    : "line " + std::to_string(number);
    bool keep = true;
    for (const auto& [key, want] : where) {
      const Json* v = lookup(row, key);
      if (v == nullptr) fail<ConfigError>(name, " line ", number, ": --where ", key, ": no such key");
      keep = keep && matches(*v, want);
    }
    if (!keep) continue;
    if (row.contains("status") && row["status"] != "completed") {
      ++t.skipped;
      t.skipped_ids.push_back(id);
      continue;
    }
    const std::string where = name + " line " + std::to_string(number) + " (" + id + ")";
    auto value = [&](const std::string& key) {
      const Json* v = lookup(row, key);
      if (v == nullptr) {
        std::string keys;
        for (auto it = row.begin(); it != row.end(); ++it)
          if (it.value().is_number()) keys += (keys.empty() ? "" : ", ") + it.key();
        fail<ConfigError>(where, ": no key \"", key, "\" (numeric keys of this row: ", keys, ")");
      }
      if (!v->is_number())
        fail<ConfigError>(where, ": ", key, " is ", v->dump(), ", expected a positive number");
      return positive(v->get<double>(), where, key);
    };
    std::vector<double> x;
    for (const auto& k : x_keys) x.push_back(value(k));
    t.x.push_back(std::move(x));
    t.y.push_back(value(y_key));
    t.ids.push_back(id);
  }
  check_sizes(t, name, where);
  return t;
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  for (const std::string& cell : pieces(line, ',')) out.push_back(trim(cell));
  if (!line.empty() && line.back() == ',') out.push_back("");
  return out;
}

Table parse_csv(const std::string& text, const std::string& name,
                const std::vector<std::string>& x_keys, const std::string& y_key,
                const RowFilter& where) {
  Table t;
  t.x_keys = x_keys;
  t.y_key = y_key;
  const std::vector<std::string> lines = pieces(text, '\n');
  size_t next = 0;
  std::vector<std::string> header;
  int number = 0;
  while (header.empty() && next < lines.size()) {
    const std::string& line = lines[next++];
    ++number;
    if (!trim(line).empty()) header = split_csv(trim(line));
  }
  auto column = [&](const std::string& key) {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == key) return i;
    std::string cols;
    for (const auto& h : header) cols += (cols.empty() ? "" : ", ") + h;
    fail<ConfigError>(name, ": no column \"", key, "\" in the header (columns: ", cols, ")");
  };
  std::vector<size_t> xc;
  for (const auto& k : x_keys) xc.push_back(column(k));
  const size_t yc = column(y_key);
  size_t id_col = header.size();
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == "id") id_col = i;
  std::vector<std::pair<size_t, std::string>> filters;
  for (const auto& [key, want] : where) filters.emplace_back(column(key), want);
  while (next < lines.size()) {
    const std::string& line = lines[next++];
    ++number;
    if (trim(line).empty()) continue;
    const auto cells = split_csv(trim(line));
    bool keep = true;
    for (const auto& [c, want] : filters) keep = keep && c < cells.size() && matches(cell_json(cells[c]), want);
    if (!keep) continue;
    const std::string id = id_col < cells.size() ? cells[id_col] : "row " + std::to_string(number);
    const std::string where = name + " line " + std::to_string(number);
    auto value = [&](size_t c, const std::string& key) {
      if (c >= cells.size())
        fail<ConfigError>(where, ": ", cells.size(), " cells, no value for column \"", key, "\"");
      const std::string& s = cells[c];
      size_t used = 0;
      double v = 0;
      try {
        v = std::stod(s, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (s.empty() || used != s.size())
        fail<ConfigError>(where, ": ", key, " = \"", s, "\" is not a number");
      return positive(v, where, key);
    };
    std::vector<double> x;
    for (size_t k = 0; k < xc.size(); ++k) x.push_back(value(xc[k], x_keys[k]));
    t.x.push_back(std::move(x));
    t.y.push_back(value(yc, y_key));
    t.ids.push_back(id);
  }
  check_sizes(t, name, where);
  return t;
}

}  // namespace

Table parse_table(const std::string& text, const std::string& name,
                  const std::vector<std::string>& x_keys, const std::string& y_key,
                  const RowFilter& where) {
  if (x_keys.empty()) fail<ConfigError>("--x: at least one key is required");
  if (y_key.empty()) fail<ConfigError>("--y: a key is required");
  const std::string head = trim(text.substr(0, 4096));
  if (head.empty()) fail<ConfigError>(name, ": the file is empty");
  if (head[0] == '{') return parse_jsonl(text, name, x_keys, y_key, where);
  return parse_csv(text, name, x_keys, y_key, where);
}

Table read_table(const std::string& path, const std::vector<std::string>& x_keys,
                 const std::string& y_key, const RowFilter& where) {
  return parse_table(read_file(path), path, x_keys, y_key, where);
}

}  // namespace gradlab::fit
