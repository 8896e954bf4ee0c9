// gradlab/blas_info.h — which BLAS library and which of its kernel families the native build
// runs, and the start-up step that makes OpenBLAS use kernels the CPU can actually run.
//
// Why: Debian's OpenBLAS is built with DYNAMIC_ARCH — one copy of the kernels per CPU family,
// one family chosen by CPUID when the library loads. A CPU model it does not know (common on
// cloud VMs that mask the model) makes it fall back to its oldest x86-64 kernels (Prescott,
// SSE3), about 5x slower for sgemm on an AVX-512 machine. The family can be forced only before
// the library loads, through the environment variable OPENBLAS_CORETYPE, so the native CLI
// checks at start-up and, when the library chose a weaker family than the CPU supports and the
// user did not set OPENBLAS_CORETYPE, re-executes itself once with the variable set
// (docs/benchmarks.md, "Which OpenBLAS kernels run").
#pragma once

#include <string>

namespace gradlab {

struct BlasInfo {
  std::string library;       // "OpenBLAS 0.3.21"; "none" where there is no BLAS (WASM)
  std::string build;         // openblas_get_config(): version and build options
  std::string core;          // the kernel family in use (openblas_get_corename()), "" if none
  // Who chose `core`: "library" (OpenBLAS's own CPU detection), "user" (OPENBLAS_CORETYPE
  // set before gradlab started) or "gradlab" (set by the start-up re-exec).
  std::string chosen_by;
  std::string library_pick;  // chosen_by == "gradlab": the family the library had picked
  // What CPUID and the OS allow: "avx512" (F, BW, DQ, VL: the SkylakeX kernels' set),
  // "avx2" (AVX2 and FMA), "avx", "sse", or "" off x86-64.
  std::string cpu_simd;
};

// The BLAS in use in this process (cheap; reads the library and the environment).
BlasInfo blas_info();

// One line for `gradlab --version`, e.g. "OpenBLAS 0.3.21 (DYNAMIC_ARCH), kernels SkylakeX,
// chosen by gradlab (the library picked Prescott; the CPU has avx512)".
std::string blas_summary_line();

// Call first in main() of a native program, before any other thread starts: when OpenBLAS
// chose a weaker kernel family than the CPU supports, OPENBLAS_CORETYPE is unset and this
// process is not itself such a restart (environment variable GRADLAB_BLAS_RESTARTED), sets
// OPENBLAS_CORETYPE and GRADLAB_BLAS_RESTARTED and execs the same binary with the same argv:
// it does not return then. Otherwise (and in WASM) it does nothing. If the exec fails, it
// prints one line to stderr and returns with the library's choice.
void select_blas_kernels(char** argv);

}  // namespace gradlab
