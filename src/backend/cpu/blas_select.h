// src/backend/cpu/blas_select.h — the decision behind select_blas_kernels (gradlab/blas_info.h)
// as a pure function of what the library, the CPU and the environment say, so that every case
// is tested without a misdetecting CPU (tests/backend/test_blas_select.cpp).
#pragma once

#include <string>

namespace gradlab::cpu {

// The x86-64 vector instruction classes the OpenBLAS kernel families are written for, weakest
// first. A family of class c runs on every CPU whose class is >= c.
enum class SimdClass { Sse = 0, Avx = 1, Avx2 = 2, Avx512 = 3 };

// The class of an OpenBLAS 0.3 x86-64 core name (openblas_get_corename()), or -1 for a name
// this table does not know (a newer library's family, another architecture): such a choice is
// never overridden.
int core_class(const std::string& corename);

// The family to force for a CPU class: SkylakeX, Haswell, Sandybridge; "" for Sse (nothing
// better to ask for).
const char* core_for_class(SimdClass cpu);

// "avx512", "avx2", "avx", "sse".
const char* simd_class_name(SimdClass cpu);

struct BlasSelectInput {
  std::string user_coretype;  // OPENBLAS_CORETYPE as found ("" = unset or empty)
  bool restarted = false;     // GRADLAB_BLAS_RESTARTED is set: this process is the restart
  std::string library_core;   // what the library chose
  bool dynamic_arch = false;  // the library can switch families (built with DYNAMIC_ARCH)
  SimdClass cpu = SimdClass::Sse;
};

// The OPENBLAS_CORETYPE to restart with, or "" to keep the library's choice. Keeps it when the
// user set the variable, when this is already the restart (never a loop), when the library
// cannot switch, when the name is unknown, and when the chosen family is as strong as the CPU.
std::string blas_core_to_force(const BlasSelectInput& in);

}  // namespace gradlab::cpu
