// Linear assignment and MLP weight matching (see weight_matching.h).
#include "experiments/weight_matching.h"

#include <cmath>
#include <limits>
#include <numeric>

#include "gradlab/error.h"
#include "gradlab/rng.h"

namespace gradlab {

// Rows are added one at a time; each addition finds a shortest augmenting path from the new
// row to a free column in the reduced costs c(i, j) − u(i) − v(j) (Dijkstra over columns, the
// potentials keeping every reduced cost ≥ 0), then flips the path. Index 0 of the column arrays
// is a virtual column holding the row being added (Jonker & Volgenant 1987; the potentials are
// the LP dual, so the result is optimal, not just a local improvement).
std::vector<int64_t> linear_sum_assignment(const std::vector<double>& cost, int64_t rows,
                                           int64_t cols, bool maximize) {
  if (rows > cols)
    fail<ValueError>("linear_sum_assignment: ", rows, " rows > ", cols,
                     " columns (transpose the matrix)");
  if (static_cast<int64_t>(cost.size()) != rows * cols)
    fail<ValueError>("linear_sum_assignment: ", cost.size(), " costs for a ", rows, "x", cols,
                     " matrix");
  for (double c : cost)
    if (!std::isfinite(c)) fail<ValueError>("linear_sum_assignment: a cost is not finite");
  const double inf = std::numeric_limits<double>::infinity();
  auto c = [&](int64_t i, int64_t j) {  // 1-based
    const double v = cost[(i - 1) * cols + (j - 1)];
    return maximize ? -v : v;
  };
  std::vector<double> u(rows + 1, 0.0), v(cols + 1, 0.0);
  std::vector<int64_t> owner(cols + 1, 0), via(cols + 1, 0);  // owner[j]: row matched to j
  for (int64_t i = 1; i <= rows; ++i) {
    owner[0] = i;
    int64_t j0 = 0;
    std::vector<double> dist(cols + 1, inf);
    std::vector<char> done(cols + 1, 0);
    do {
      done[j0] = 1;
      const int64_t i0 = owner[j0];
      double delta = inf;
      int64_t j1 = 0;
      for (int64_t j = 1; j <= cols; ++j) {
        if (done[j]) continue;
        const double reduced = c(i0, j) - u[i0] - v[j];
        if (reduced < dist[j]) {
          dist[j] = reduced;
          via[j] = j0;
        }
        if (dist[j] < delta) {
          delta = dist[j];
          j1 = j;
        }
      }
      for (int64_t j = 0; j <= cols; ++j) {
        if (done[j]) {
          u[owner[j]] += delta;
          v[j] -= delta;
        } else {
          dist[j] -= delta;
        }
      }
      j0 = j1;
    } while (owner[j0] != 0);
    do {  // flip the path back to the virtual column
      const int64_t j1 = via[j0];
      owner[j0] = owner[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int64_t> result(rows, -1);
  for (int64_t j = 1; j <= cols; ++j)
    if (owner[j] != 0) result[owner[j] - 1] = j - 1;
  return result;
}

int64_t MlpLayout::weight_offset(size_t layer) const {
  int64_t off = 0;
  for (size_t l = 0; l < layer; ++l) off += dims[l + 1] * dims[l] + (bias ? dims[l + 1] : 0);
  return off;
}

int64_t MlpLayout::bias_offset(size_t layer) const {
  return weight_offset(layer) + dims[layer + 1] * dims[layer];
}

int64_t MlpLayout::size() const { return weight_offset(layers()); }

std::vector<double> permute_mlp(const std::vector<double>& params, const MlpLayout& layout,
                                const std::vector<std::vector<int64_t>>& perms) {
  if (static_cast<int64_t>(params.size()) != layout.size() || perms.size() + 1 != layout.layers())
    fail<ValueError>("permute_mlp: parameters or permutations do not fit the layout");
  std::vector<double> out(params.size());
  for (size_t l = 0; l < layout.layers(); ++l) {
    const int64_t in = layout.dims[l], outs = layout.dims[l + 1];
    const std::vector<int64_t>* row_perm = l < perms.size() ? &perms[l] : nullptr;
    const std::vector<int64_t>* col_perm = l > 0 ? &perms[l - 1] : nullptr;
    const int64_t w = layout.weight_offset(l);
    for (int64_t i = 0; i < outs; ++i) {
      const int64_t src_row = row_perm ? (*row_perm)[i] : i;
      for (int64_t j = 0; j < in; ++j) {
        const int64_t src_col = col_perm ? (*col_perm)[j] : j;
        out[w + i * in + j] = params[w + src_row * in + src_col];
      }
      if (layout.bias) out[layout.bias_offset(l) + i] = params[layout.bias_offset(l) + src_row];
    }
  }
  return out;
}

std::vector<std::vector<int64_t>> match_weights(const std::vector<double>& a,
                                                const std::vector<double>& b,
                                                const MlpLayout& layout, uint64_t seed,
                                                int max_sweeps) {
  const size_t hidden = layout.layers() - 1;
  std::vector<std::vector<int64_t>> perms(hidden);
  for (size_t h = 0; h < hidden; ++h) {
    perms[h].resize(layout.dims[h + 1]);
    std::iota(perms[h].begin(), perms[h].end(), 0);
  }
  Rng rng(seed, 11);
  for (int sweep = 0; sweep < max_sweeps; ++sweep) {
    bool improved = false;
    const std::vector<int64_t> order = rng.permutation(static_cast<int64_t>(hidden));
    for (int64_t h64 : order) {
      const size_t h = static_cast<size_t>(h64);
      // B with every permutation applied except layer h's: then the cost of sending A's unit i
      // to B's unit k is the similarity of what flows into and out of the two units,
      //   C[i][k] = Σ_j W_h^A[i,j] W_h^B'[k,j] + b_h^A[i] b_h^B[k] + Σ_r W_{h+1}^A[r,i] W_{h+1}^B'[r,k].
      std::vector<std::vector<int64_t>> others = perms;
      std::iota(others[h].begin(), others[h].end(), 0);
      const std::vector<double> bp = permute_mlp(b, layout, others);
      const int64_t units = layout.dims[h + 1], in = layout.dims[h], next = layout.dims[h + 2];
      const int64_t w = layout.weight_offset(h), w2 = layout.weight_offset(h + 1);
      std::vector<double> c(static_cast<size_t>(units * units), 0.0);
      for (int64_t i = 0; i < units; ++i)
        for (int64_t k = 0; k < units; ++k) {
          double s = 0;
          for (int64_t j = 0; j < in; ++j) s += a[w + i * in + j] * bp[w + k * in + j];
          for (int64_t r = 0; r < next; ++r) s += a[w2 + r * units + i] * bp[w2 + r * units + k];
          if (layout.bias) s += a[layout.bias_offset(h) + i] * bp[layout.bias_offset(h) + k];
          c[i * units + k] = s;
        }
      const std::vector<int64_t> best = linear_sum_assignment(c, units, units, true);
      double old_value = 0, new_value = 0;
      for (int64_t i = 0; i < units; ++i) {
        old_value += c[i * units + perms[h][i]];
        new_value += c[i * units + best[i]];
      }
      if (new_value > old_value + 1e-12 * std::abs(old_value)) {
        perms[h] = best;
        improved = true;
      }
    }
    if (!improved) break;
  }
  return perms;
}

}  // namespace gradlab
