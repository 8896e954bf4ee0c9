// Weight matching for mode connectivity (Ainsworth, Hayase & Srinivasa 2023, "Git Re-Basin",
// §3.2): the permutation of each hidden layer's units that aligns network B to network A, found
// by coordinate descent over the layers, each step one linear assignment problem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gradlab {

// The assignment of rows to columns of a rows × cols cost matrix (row-major, rows ≤ cols) that
// minimises (or, with maximize, maximises) the summed cost: result[r] = the column of row r.
// Shortest augmenting paths with dual potentials (the Hungarian method in the Jonker–Volgenant
// form, O(rows² · cols)), in float64. Throws ValueError for rows > cols or a non-finite cost.
std::vector<int64_t> linear_sum_assignment(const std::vector<double>& cost, int64_t rows,
                                           int64_t cols, bool maximize = false);

// An MLP's parameters as a flat vector in state_dict order: per layer l the weight (out_l ×
// in_l, row-major), then its bias (out_l) when the layers have biases.
struct MlpLayout {
  std::vector<int64_t> dims;  // in_0, out_0 = in_1, ..., out_last
  bool bias = false;
  int64_t weight_offset(size_t layer) const;
  int64_t bias_offset(size_t layer) const;  // only with bias
  int64_t size() const;
  size_t layers() const { return dims.size() - 1; }
};

// perms[h] (one per hidden layer h = 0 .. layers−2) maps unit i of the permuted network to unit
// perms[h][i] of the original: rows of W_h and b_h, and columns of W_{h+1}, are gathered by it.
// The function the network computes is unchanged.
std::vector<double> permute_mlp(const std::vector<double>& params, const MlpLayout& layout,
                                const std::vector<std::vector<int64_t>>& perms);

// The permutations that maximise Σ_l ⟨W_l^A, P_l W_l^B P_{l−1}ᵀ⟩ + ⟨b_l^A, P_l b_l^B⟩, by
// coordinate descent (each layer's P solved exactly with the others fixed, layers in a seeded
// random order, until a sweep improves nothing or max_sweeps). Returns one perm per hidden layer.
std::vector<std::vector<int64_t>> match_weights(const std::vector<double>& a,
                                                const std::vector<double>& b,
                                                const MlpLayout& layout, uint64_t seed,
                                                int max_sweeps = 100);

}  // namespace gradlab
