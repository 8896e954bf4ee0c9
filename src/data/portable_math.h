// portable_math.h — exp, expm1, tanh, sin and cos that give the same bits everywhere.
//
// Synthetic data must be bit-identical natively and in WebAssembly (same seed → same
// dataset in the browser and the CLI). The C libraries disagree in the last ulp for
// transcendental functions (glibc natively, musl under Emscripten), so the generators
// use these instead: built only from +, -, *, /, floor and ldexp, which IEEE 754
// defines exactly, and compiled without fused multiply-add (see portable_math.cpp).
// Accuracy (measured against glibc): exp <= 1 ulp, expm1 <= 1.3, tanh <= 2, sin/cos
// within 2e-16 absolute — plenty for data generation.
#pragma once

namespace gradlab::data {

double portable_exp(double x);
double portable_expm1(double x);  // e^x - 1, accurate near 0
double portable_tanh(double x);
// sin(2π·turns) and cos(2π·turns): angles in turns reduce exactly (no π in the reduction).
void portable_sin_cos_turns(double turns, double& sin_out, double& cos_out);

}  // namespace gradlab::data
