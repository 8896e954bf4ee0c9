// gradlab/rng.h — the one random number generator of gradlab.
//
// PCG32 (O'Neill 2014, XSH-RR output, 64-bit LCG state) plus Box–Muller for
// normals. Never std:: distributions: their algorithms differ between standard
// libraries, and the same seed must give the same data and initial weights natively
// and in WebAssembly. All draws are defined in terms of next_u32(), bit for bit.
#pragma once

#include <cstdint>
#include <vector>

namespace gradlab {

class Rng {
 public:
  // stream selects one of 2^63 independent sequences for the same seed.
  explicit Rng(uint64_t seed = 0, uint64_t stream = 0);

  uint32_t next_u32();
  // Uniform double in [0, 1) with 53 random bits (two draws).
  double uniform();
  double uniform(double low, double high);
  // Standard normal by Box–Muller; the second value of each pair is cached.
  double normal();
  double normal(double mean, double stddev);
  // Uniform integer in [0, n) without modulo bias (Lemire's method with rejection).
  uint64_t below(uint64_t n);
  // Fisher–Yates shuffle of 0..n-1.
  std::vector<int64_t> permutation(int64_t n);
  // Derive an independent generator (e.g. one per purpose: data, init, dropout).
  Rng split(uint64_t stream_id);

  // Full state, for checkpoints: resuming restores the exact stream.
  struct State {
    uint64_t state, inc;
    bool has_cached_normal;
    double cached_normal;
  };
  State get_state() const;
  void set_state(const State& s);

 private:
  uint64_t state_ = 0;
  uint64_t inc_ = 1;
  bool has_cached_ = false;
  double cached_ = 0.0;
};

}  // namespace gradlab
