// gradlab/scalar_ops.h — one definition of every elementwise scalar function.
//
// Backends (CPU loops, WASM SIMD tails, CUDA kernels) all evaluate elementwise ops
// through these templates so results agree across backends. GRADLAB_HD marks
// them host+device when compiled by nvcc.
#pragma once

#include <cmath>

#include "gradlab/backend.h"

#if defined(__CUDACC__)
#define GRADLAB_HD __host__ __device__ __forceinline__
#else
#define GRADLAB_HD inline
#endif

namespace gradlab {

template <class T>
GRADLAB_HD T apply_unary(UnaryOp op, T x, T p) {
  switch (op) {
    case UnaryOp::Neg: return -x;
    case UnaryOp::Exp: return std::exp(x);
    case UnaryOp::Log: return std::log(x);
    case UnaryOp::Sqrt: return std::sqrt(x);
    case UnaryOp::Abs: return std::fabs(x);
    case UnaryOp::Sign: return T((x > T(0)) - (x < T(0)));
    case UnaryOp::Tanh: return std::tanh(x);
    // Stable for both signs: never exponentiates a large positive number.
    case UnaryOp::Sigmoid: {
      if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
      T e = std::exp(x);
      return e / (T(1) + e);
    }
    case UnaryOp::Relu: return x > T(0) ? x : T(0);
    case UnaryOp::Step: return x > T(0) ? T(1) : T(0);
    case UnaryOp::Erf: return std::erf(x);
    case UnaryOp::Sin: return std::sin(x);
    case UnaryOp::Cos: return std::cos(x);
    case UnaryOp::Square: return x * x;
    case UnaryOp::Reciprocal: return T(1) / x;
    case UnaryOp::PowScalar: return std::pow(x, p);
    case UnaryOp::AddScalar: return x + p;
    case UnaryOp::MulScalar: return x * p;
    case UnaryOp::Log1p: return std::log1p(x);
    case UnaryOp::Expm1: return std::expm1(x);
  }
  return x;
}

template <class T>
GRADLAB_HD T apply_binary(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
    case BinaryOp::Pow: return std::pow(a, b);
    case BinaryOp::Maximum: return a > b ? a : b;
    case BinaryOp::Minimum: return a < b ? a : b;
    case BinaryOp::Gt: return a > b ? T(1) : T(0);
    case BinaryOp::Ge: return a >= b ? T(1) : T(0);
    case BinaryOp::Lt: return a < b ? T(1) : T(0);
    case BinaryOp::Le: return a <= b ? T(1) : T(0);
    case BinaryOp::Eq: return a == b ? T(1) : T(0);
  }
  return a;
}

}  // namespace gradlab
