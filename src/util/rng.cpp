// rng.cpp — PCG32 and the draws built on it (uniform, normal, below, permutation).
//
// Every draw must be bit-identical natively and in WebAssembly, because the same seed
// has to give the same data, initial weights and probe vectors in the browser and in
// the native binary. Three things make that hold:
//  1. Integer draws are pure 64-bit integer arithmetic (PCG32, Lemire's method).
//  2. Box–Muller needs log, cos and sin. The C libraries do not agree on those: glibc
//     (natively, with CPU-dependent FMA variants chosen at load time) and musl (which
//     Emscripten links) differ in the last ulp — measured here on 10^5 normals, the
//     3rd pair already differed. So this file computes them itself (log_unit_interval,
//     sin_cos_of_turns) from +, -, *, / and sqrt only, which IEEE 754 rounds exactly
//     the same way everywhere. Deterministic first, then accurate (≈1–2 ulp).
//  3. No fused multiply-add: with -march=native GCC would contract a*b+c into an FMA
//     (one rounding instead of two) and the bits would no longer match the WASM build,
//     which has no FMA. The pragmas below switch contraction off for this file.
// (The core library is compiled with -ffp-contract=off: see CMakeLists.txt.)

#include "gradlab/rng.h"

#include <cmath>
#include <cstring>
#include <numeric>

#include "gradlab/error.h"

namespace gradlab {
namespace {

// ---- PCG32 constants (O'Neill 2014, "PCG: A Family of Simple Fast Space-Efficient
// Statistically Good Algorithms for Random Number Generation") ----------------------
// The LCG multiplier of the 64-bit PCG family (Knuth's MMIX multiplier).
constexpr uint64_t kPcgMultiplier = 6364136223846793005ULL;

// SplitMix64's finaliser (Steele, Lea & Flood 2014, "Fast splittable pseudorandom
// number generators"; constants from Stafford's "Mix13"): a bijection on 64-bit words
// with full avalanche, used to turn (state, stream_id) into an unrelated seed.
uint64_t mix64(uint64_t z) {
  z ^= z >> 30;
  z *= 0xbf58476d1ce4e5b9ULL;
  z ^= z >> 27;
  z *= 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return z;
}

// (hi, lo) 64-bit halves of the 128-bit product a*b, from 32-bit pieces so it needs
// no __int128 (identical on every target).
void multiply_64x64(uint64_t a, uint64_t b, uint64_t& hi, uint64_t& lo) {
  const uint64_t a_lo = a & 0xffffffffULL, a_hi = a >> 32;
  const uint64_t b_lo = b & 0xffffffffULL, b_hi = b >> 32;
  const uint64_t ll = a_lo * b_lo, lh = a_lo * b_hi, hl = a_hi * b_lo, hh = a_hi * b_hi;
  // Middle column: carries out of the low 64 bits (each term < 2^32, sum < 2^34).
  const uint64_t middle = (ll >> 32) + (lh & 0xffffffffULL) + (hl & 0xffffffffULL);
  lo = (middle << 32) | (ll & 0xffffffffULL);
  hi = hh + (lh >> 32) + (hl >> 32) + (middle >> 32);
}

// ---- deterministic transcendental functions ------------------------------------------

// 1/n! exactly rounded: n! itself is an exact double for n <= 22 (its odd part is
// below 2^53), so one correctly rounded division gives the same bits on every platform
// (and in the Python reference of tests/util/test_rng.cpp).
constexpr double inverse_factorial(int n) {
  double factorial = 1.0;
  for (int i = 2; i <= n; ++i) factorial *= i;
  return 1.0 / factorial;
}

// ln 2 split so that e * kLn2Hi is exact for any double exponent |e| < 2^11: kLn2Hi is
// ln 2 rounded to 32 significant bits, kLn2Lo = ln 2 - kLn2Hi rounded (Cody & Waite).
constexpr double kLn2Hi = 0x1.62e42feep-1;
constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;
constexpr double kSqrt2 = 0x1.6a09e667f3bcdp+0;
constexpr double kQuarterPi = 0x1.921fb54442d18p-1;  // π/4 rounded to double

// Natural log of x in (0, 1], the range Box–Muller needs (x = 1 - u >= 2^-53, normal).
// x = 2^e · m with m in [√½, √2), f = m - 1 (exact: Sterbenz), s = f / (2 + f), so
//   log(1 + f) = 2 atanh(s) = 2s + s·R(s²),  R(z) = Σ_{k>=1} 2 z^k / (2k+1),
// and since 2s = f - s·f = f - hfsq + s·hfsq with hfsq = f²/2 (because f = s(2 + f)):
//   log(1 + f) = f - (hfsq - s·(hfsq + R)),
// which keeps the exact f as the leading term. |s| <= 3 - 2√2 ≈ 0.1716 so z <= 0.0295,
// and 11 terms of R leave a truncation error below 1e-18 relative.
double log_unit_interval(double x) {
  uint64_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  int exponent = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  bits = (bits & 0x000fffffffffffffULL) | (uint64_t{1023} << 52);  // mantissa in [1, 2)
  double m = 0.0;
  std::memcpy(&m, &bits, sizeof m);
  if (m > kSqrt2) {
    m *= 0.5;  // exact
    exponent += 1;
  }
  const double f = m - 1.0;
  const double s = f / (2.0 + f);
  const double z = s * s;
  // Horner, innermost first: c_k = 2 / (2k + 1), k = 1..11.
  double r = 2.0 / 23.0;
  r = 2.0 / 21.0 + z * r;
  r = 2.0 / 19.0 + z * r;
  r = 2.0 / 17.0 + z * r;
  r = 2.0 / 15.0 + z * r;
  r = 2.0 / 13.0 + z * r;
  r = 2.0 / 11.0 + z * r;
  r = 2.0 / 9.0 + z * r;
  r = 2.0 / 7.0 + z * r;
  r = 2.0 / 5.0 + z * r;
  r = 2.0 / 3.0 + z * r;
  r = z * r;
  const double hfsq = 0.5 * f * f;
  const double e = static_cast<double>(exponent);
  return e * kLn2Hi - ((hfsq - (s * (hfsq + r) + e * kLn2Lo)) - f);
}

// sin and cos of a in [0, π/4] by their Taylor series (alternating, terms fall faster
// than (π/4)^n / n!; the first neglected ones, a^23/23! and a^22/22!, are below 1e-22).
void sin_cos_small(double a, double& sin_a, double& cos_a) {
  const double z = a * a;
  // sin a = a + a·z·P(z),  P(z) = -1/3! + z/5! - z²/7! + ... - z^9/21!
  double p = -inverse_factorial(21);
  p = inverse_factorial(19) + z * p;
  p = -inverse_factorial(17) + z * p;
  p = inverse_factorial(15) + z * p;
  p = -inverse_factorial(13) + z * p;
  p = inverse_factorial(11) + z * p;
  p = -inverse_factorial(9) + z * p;
  p = inverse_factorial(7) + z * p;
  p = -inverse_factorial(5) + z * p;
  p = inverse_factorial(3) + z * p;
  sin_a = a - a * z * p;
  // cos a = 1 - z/2 + z²·Q(z),  Q(z) = 1/4! - z/6! + ... + z^8/20!
  double q = inverse_factorial(20);
  q = -inverse_factorial(18) + z * q;
  q = inverse_factorial(16) + z * q;
  q = -inverse_factorial(14) + z * q;
  q = inverse_factorial(12) + z * q;
  q = -inverse_factorial(10) + z * q;
  q = inverse_factorial(8) + z * q;
  q = -inverse_factorial(6) + z * q;
  q = inverse_factorial(4) + z * q;
  cos_a = 1.0 - (0.5 * z - z * z * q);
}

// sin(2πu) and cos(2πu) for u in [0, 1). Working in turns avoids reducing a large
// radian argument: 8u = o + r splits the circle into octants exactly (u has 53 bits,
// so 8u, its integer part o and r = 8u - o are all exact). In octant o = 2Q + j the
// angle is Q·π/2 + β with β = r·π/4 (j = 0) or β = π/2 - (1 - r)·π/4 (j = 1); the
// series then only ever sees arguments in [0, π/4], and the quadrant Q is a rotation
// by swaps and sign changes (exact).
void sin_cos_of_turns(double u, double& sin_out, double& cos_out) {
  const double t = 8.0 * u;
  const int octant = static_cast<int>(t);  // 0..7
  const double r = t - static_cast<double>(octant);
  double sin_beta = 0.0, cos_beta = 0.0;
  if ((octant & 1) == 0) {
    sin_cos_small(r * kQuarterPi, sin_beta, cos_beta);
  } else {
    // sin(π/2 - b) = cos b, cos(π/2 - b) = sin b, with b = (1 - r)·π/4 (1 - r exact).
    sin_cos_small((1.0 - r) * kQuarterPi, cos_beta, sin_beta);
  }
  switch (octant >> 1) {
    case 0:
      sin_out = sin_beta;
      cos_out = cos_beta;
      break;
    case 1:  // + π/2
      sin_out = cos_beta;
      cos_out = -sin_beta;
      break;
    case 2:  // + π
      sin_out = -sin_beta;
      cos_out = -cos_beta;
      break;
    default:  // + 3π/2
      sin_out = -cos_beta;
      cos_out = sin_beta;
      break;
  }
}

}  // namespace

// pcg32_srandom: inc = 2·stream + 1 (must be odd), then advance once, add the seed and
// advance again so that nearby seeds start far apart in the sequence.
Rng::Rng(uint64_t seed, uint64_t stream) : state_(0), inc_((stream << 1) | 1u) {
  next_u32();
  state_ += seed;
  next_u32();
}

// PCG32 XSH-RR: advance the 64-bit LCG, then output a permutation of the OLD state:
// xorshift the high bits down ("XSH": (old ^ old >> 18) >> 27 keeps bits 27..58 mixed
// with bits 45..63), and rotate right by the top 5 bits ("RR"), so the weak low bits of
// the LCG never reach the output directly.
uint32_t Rng::next_u32() {
  const uint64_t old = state_;
  state_ = old * kPcgMultiplier + inc_;
  const auto xorshifted = static_cast<uint32_t>(((old >> 18) ^ old) >> 27);
  const auto rotation = static_cast<uint32_t>(old >> 59);
  return (xorshifted >> rotation) | (xorshifted << ((32u - rotation) & 31u));
}

// 53 random bits: 27 from the first draw (its top bits), 26 from the second, as
// (a·2^26 + b) / 2^53 — every multiple of 2^-53 in [0, 1) is equally likely, and 1.0
// is impossible. The conversion and the scaling by a power of two are exact.
double Rng::uniform() {
  const uint64_t high = next_u32() >> 5;  // 27 bits
  const uint64_t low = next_u32() >> 6;   // 26 bits
  return static_cast<double>((high << 26) | low) * 0x1.0p-53;
}

double Rng::uniform(double low, double high) {
  if (!(low <= high) || !std::isfinite(low) || !std::isfinite(high)) {
    fail<ValueError>("Rng::uniform: need finite low <= high, got low=", low, " high=", high);
  }
  // Rounding can return `high` itself when high - low is huge relative to ulp(high).
  return low + (high - low) * uniform();
}

// Box–Muller (1958): for u1, u2 uniform on (0, 1], sqrt(-2 ln u1)·(cos 2πu2, sin 2πu2)
// are two independent standard normals. uniform() lies in [0, 1), so 1 - u (exact, in
// (0, 1]) is used instead of u: log(0) can never happen. The sine of the pair is kept
// for the next call.
double Rng::normal() {
  if (has_cached_) {
    has_cached_ = false;
    return cached_;
  }
  const double u1 = uniform();
  const double u2 = uniform();
  const double radius = std::sqrt(-2.0 * log_unit_interval(1.0 - u1));
  double sin_theta = 0.0, cos_theta = 0.0;
  sin_cos_of_turns(u2, sin_theta, cos_theta);
  cached_ = radius * sin_theta;
  has_cached_ = true;
  return radius * cos_theta;
}

double Rng::normal(double mean, double stddev) {
  if (!(stddev >= 0.0) || !std::isfinite(stddev) || !std::isfinite(mean)) {
    fail<ValueError>("Rng::normal: need finite mean and stddev >= 0, got mean=", mean,
                     " stddev=", stddev);
  }
  return mean + stddev * normal();
}

// Lemire (2019), "Fast Random Integer Generation in an Interval": for x uniform on
// [0, 2^w), the high word of x·n is in [0, n). It is biased only when the low word
// l = (x·n) mod 2^w falls below t = 2^w mod n; rejecting exactly those x leaves every
// result with the same number of preimages. The costly modulo is only computed when
// l < n (rare). n <= 2^32 uses one 32-bit draw, larger n two draws (high word first).
uint64_t Rng::below(uint64_t n) {
  if (n == 0) fail<ValueError>("Rng::below: n must be positive, got 0");
  if (n <= (uint64_t{1} << 32)) {
    uint64_t product = uint64_t{next_u32()} * n;
    auto low = static_cast<uint32_t>(product);
    if (low < n) {
      // 2^32 mod n, computed in 64 bits because n may be 2^32 itself (threshold 0).
      const uint64_t threshold = (uint64_t{1} << 32) % n;
      while (low < threshold) {
        product = uint64_t{next_u32()} * n;
        low = static_cast<uint32_t>(product);
      }
    }
    return product >> 32;
  }
  auto draw64 = [this] {
    const uint64_t high = next_u32();
    return (high << 32) | next_u32();
  };
  uint64_t hi = 0, lo = 0;
  multiply_64x64(draw64(), n, hi, lo);
  if (lo < n) {
    const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    while (lo < threshold) multiply_64x64(draw64(), n, hi, lo);
  }
  return hi;
}

// Fisher–Yates (Durstenfeld's in-place form): position i swaps with a uniform j <= i,
// so each of the n! orders has probability exactly 1/n! given an unbiased below().
std::vector<int64_t> Rng::permutation(int64_t n) {
  if (n < 0) fail<ValueError>("Rng::permutation: n must be >= 0, got ", n);
  std::vector<int64_t> order(static_cast<size_t>(n));  // (n)
  std::iota(order.begin(), order.end(), int64_t{0});
  for (int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(below(static_cast<uint64_t>(i) + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

// The child depends only on this generator's current (state, inc) and stream_id, and
// drawing it does not advance this generator: split(1) for data and split(2) for
// initialisation give the same children whatever order they are requested in, and
// adding a split(3) later changes neither. Both the child's seed and its stream are
// hashed (not just a new increment), because PCG streams that share a state are
// correlated; mix64 of different inputs gives unrelated words.
Rng Rng::split(uint64_t stream_id) {
  const uint64_t key = mix64(stream_id + 0x9e3779b97f4a7c15ULL);  // 2^64 / golden ratio
  return Rng(mix64(state_ ^ key), mix64(inc_ + key));
}

Rng::State Rng::get_state() const { return State{state_, inc_, has_cached_, cached_}; }

void Rng::set_state(const State& s) {
  // An even increment would halve the LCG's period and is never produced by get_state().
  if ((s.inc & 1u) == 0) {
    fail<ValueError>("Rng::set_state: inc must be odd (a PCG32 increment), got ", s.inc);
  }
  state_ = s.state;
  inc_ = s.inc;
  has_cached_ = s.has_cached_normal;
  cached_ = s.cached_normal;
}

}  // namespace gradlab
