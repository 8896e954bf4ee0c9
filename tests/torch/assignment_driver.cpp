// assignment_driver: gradlab's linear assignment solver (src/experiments/weight_matching.cpp) for
// tests/python/test_assignment_scipy.py, which checks it against scipy.optimize.
// linear_sum_assignment. Reads a JSON file {"cases": [{"cost": [[...], ...], "maximize": bool}]}
// and prints {"columns": [[column of row 0, ...], ...]}.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "experiments/weight_matching.h"
#include "gradlab/safetensors.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: assignment_driver CASES.json\n";
    return 2;
  }
  try {
    const nlohmann::json in = nlohmann::json::parse(gradlab::read_file(argv[1]));
    nlohmann::json out = {{"columns", nlohmann::json::array()}};
    for (const auto& c : in.at("cases")) {
      const auto rows = c.at("cost").get<std::vector<std::vector<double>>>();
      const int64_t r = static_cast<int64_t>(rows.size()), k = static_cast<int64_t>(rows.at(0).size());
      std::vector<double> flat;
      for (const auto& row : rows) flat.insert(flat.end(), row.begin(), row.end());
      out["columns"].push_back(gradlab::linear_sum_assignment(flat, r, k, c.at("maximize").get<bool>()));
    }
    std::cout << out.dump() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "assignment_driver: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
