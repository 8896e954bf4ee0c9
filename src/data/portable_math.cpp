// portable_math.cpp — deterministic exp / expm1 / tanh / sin / cos (see portable_math.h).
//
// Method: reduce the argument exactly (or with a split constant whose products are exact),
// then sum a Taylor series by Horner's rule far enough that the truncation error is below
// 1e-17 relative. The coefficients 1/n! are single correctly rounded divisions of exact
// integers (n! < 2^53 · 2^k is exact in double for n <= 22), folded at compile time to the
// same bits by every compiler.
//
// No fused multiply-add: GCC contracts a*b + c into an FMA under -march=native even in
// ISO C++ mode (checked with g++ 12), which rounds once instead of twice and would make
// native data differ from the WASM build's (wasm32 has no FMA). Switch it off here.
// (The core library is compiled with -ffp-contract=off: see CMakeLists.txt.)

#include "data/portable_math.h"

#include <cmath>
#include <utility>

namespace gradlab::data {
namespace {

constexpr double inverse_factorial(int n) {
  double factorial = 1.0;
  for (int i = 2; i <= n; ++i) factorial *= i;
  return 1.0 / factorial;
}

// Σ_{n=first}^{last} x^n / n! as x^first · (c_first + x·(c_{first+1} + ...)).
double taylor_tail(double x, int first, int last) {
  double sum = inverse_factorial(last);
  for (int n = last - 1; n >= first; --n) sum = inverse_factorial(n) + x * sum;
  double power = 1.0;
  for (int n = 0; n < first; ++n) power *= x;
  return power * sum;
}

// ln 2 = kLn2High + kLn2Low, kLn2High with 32 significant bits so that k·kLn2High is
// exact for |k| < 2^21 (Cody & Waite 1980 argument reduction).
constexpr double kLn2High = 0x1.62e42feep-1;
constexpr double kLn2Low = 0x1.a39ef35793c76p-33;
constexpr double kInvLn2 = 0x1.71547652b82fep+0;
constexpr double kHalfPi = 0x1.921fb54442d18p+0;
// Below this |x|, expm1 sums its series (degree 20: 0.7^21/21! < 1e-23); above it
// e^x - 1 > 1 and the subtraction costs less than one bit.
constexpr double kExpm1SeriesLimit = 0.7;

}  // namespace

// e^x = 2^k · e^r with k = round(x / ln 2), r = x - k ln 2, |r| <= ln2/2 ≈ 0.347; the
// series of e^r to degree 14 leaves r^15/15! < 1e-19.
double portable_exp(double x) {
  if (std::isnan(x)) return x;
  if (x > 709.782712893384) return HUGE_VAL;
  if (x < -745.2) return 0.0;
  const double k = std::floor(x * kInvLn2 + 0.5);
  const double r = (x - k * kLn2High) - k * kLn2Low;
  return std::ldexp(taylor_tail(r, 0, 14), static_cast<int>(k));
}

// Near 0 the series Σ_{n>=1} x^n/n! keeps full relative accuracy, where e^x - 1 would
// cancel.
double portable_expm1(double x) {
  if (std::fabs(x) < kExpm1SeriesLimit) return taylor_tail(x, 1, 20);
  return portable_exp(x) - 1.0;
}

// tanh a = (e^{2a} - 1) / (e^{2a} + 1) = m / (m + 2) with m = expm1(2a), a = |x|; odd in
// x. For a > 22, 1 - tanh a < 2e-19 rounds to 1.
double portable_tanh(double x) {
  const double a = std::fabs(x);
  double t = 1.0;
  if (a <= 22.0) {
    const double m = portable_expm1(2.0 * a);
    t = m / (m + 2.0);
  }
  return x < 0 ? -t : t;
}

// turns → quadrant q = floor(4u) and fraction f = 4u - q (both exact, u = frac(turns)),
// angle = q·π/2 + f·π/2. Fractions past one half use the complement (1 - f)·π/2 and swap
// sine and cosine, so the series only sees |a| <= π/4, where degree 19 (sine) / 20
// (cosine) leave errors below 1e-20.
void portable_sin_cos_turns(double turns, double& sin_out, double& cos_out) {
  const double u = turns - std::floor(turns);  // [0, 1), exact
  const double quarter_turns = 4.0 * u;
  const double quadrant = std::floor(quarter_turns);
  const double f = quarter_turns - quadrant;
  const bool complement = f > 0.5;
  const double a = (complement ? 1.0 - f : f) * kHalfPi;
  const double z = a * a;
  double s = 0.0, c = 0.0;
  {
    // sin a = a · Σ_k (-z)^k / (2k+1)!,  cos a = Σ_k (-z)^k / (2k)!
    double sin_sum = -inverse_factorial(19), cos_sum = inverse_factorial(20);
    for (int k = 8; k >= 0; --k) {
      const double sign = (k % 2 == 0) ? 1.0 : -1.0;
      sin_sum = sign * inverse_factorial(2 * k + 1) + z * sin_sum;
    }
    for (int k = 9; k >= 0; --k) {
      const double sign = (k % 2 == 0) ? 1.0 : -1.0;
      cos_sum = sign * inverse_factorial(2 * k) + z * cos_sum;
    }
    s = a * sin_sum;
    c = cos_sum;
  }
  if (complement) std::swap(s, c);  // sin(π/2 - b) = cos b
  switch (static_cast<int>(quadrant)) {
    case 0:
      sin_out = s, cos_out = c;
      break;
    case 1:
      sin_out = c, cos_out = -s;
      break;
    case 2:
      sin_out = -s, cos_out = -c;
      break;
    default:
      sin_out = -c, cos_out = s;
      break;
  }
}

}  // namespace gradlab::data
