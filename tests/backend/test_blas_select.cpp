// tests/backend/test_blas_select.cpp — when the native start-up forces an OpenBLAS kernel family
// (src/backend/cpu/blas_select.h): only when the library chose a weaker one than the CPU runs,
// never over the user's OPENBLAS_CORETYPE, never twice, never for a name it does not know.
// tests/python/test_blas_kernels.py checks the restart itself through the CLI.
#include <catch2/catch.hpp>

#include "backend/cpu/blas_select.h"
#include "gradlab/blas_info.h"

using gradlab::cpu::BlasSelectInput;
using gradlab::cpu::SimdClass;
using gradlab::cpu::blas_core_to_force;
using gradlab::cpu::core_class;

namespace {
BlasSelectInput misdetected() {
  BlasSelectInput in;
  in.library_core = "Prescott";
  in.dynamic_arch = true;
  in.cpu = SimdClass::Avx512;
  return in;
}
}  // namespace

TEST_CASE("blas select: a fallback family on an AVX-512 or AVX2 CPU is replaced", "[backend]") {
  BlasSelectInput in = misdetected();
  CHECK(blas_core_to_force(in) == "SkylakeX");
  in.cpu = SimdClass::Avx2;
  CHECK(blas_core_to_force(in) == "Haswell");
  in.library_core = "Sandybridge";  // AVX kernels on an AVX2 + FMA CPU
  CHECK(blas_core_to_force(in) == "Haswell");
  in.cpu = SimdClass::Avx512;
  in.library_core = "Haswell";  // AVX2 kernels on an AVX-512 CPU
  CHECK(blas_core_to_force(in) == "SkylakeX");
  in.cpu = SimdClass::Avx;
  in.library_core = "Nehalem";
  CHECK(blas_core_to_force(in) == "Sandybridge");
}

TEST_CASE("blas select: the user's OPENBLAS_CORETYPE and a restart are never overridden",
          "[backend]") {
  BlasSelectInput in = misdetected();
  in.user_coretype = "Prescott";
  CHECK(blas_core_to_force(in).empty());
  in = misdetected();
  in.restarted = true;  // the restarted process still sees a weak family: no second restart
  CHECK(blas_core_to_force(in).empty());
}

TEST_CASE("blas select: a recognised CPU, an unknown name or a fixed build changes nothing",
          "[backend]") {
  BlasSelectInput in = misdetected();
  for (const char* good : {"SkylakeX", "Cooperlake", "SapphireRapids"}) {
    in.library_core = good;
    CHECK(blas_core_to_force(in).empty());
  }
  in.cpu = SimdClass::Avx2;
  for (const char* good : {"Haswell", "Zen", "Excavator", "SkylakeX"}) {
    in.library_core = good;
    CHECK(blas_core_to_force(in).empty());
  }
  in = misdetected();
  in.library_core = "Zen5";  // a newer library's family: its choice stands
  CHECK(core_class("Zen5") == -1);
  CHECK(blas_core_to_force(in).empty());
  in = misdetected();
  in.dynamic_arch = false;  // one family compiled in: OPENBLAS_CORETYPE cannot change it
  CHECK(blas_core_to_force(in).empty());
  in = misdetected();
  in.cpu = SimdClass::Sse;  // nothing better to ask for
  CHECK(blas_core_to_force(in).empty());
}

TEST_CASE("blas info names the library and the family in use", "[backend]") {
  const gradlab::BlasInfo b = gradlab::blas_info();
#if defined(GRADLAB_OPENBLAS)
  CHECK(b.library.rfind("OpenBLAS ", 0) == 0);
  CHECK_FALSE(b.core.empty());
  CHECK((b.chosen_by == "library" || b.chosen_by == "user" || b.chosen_by == "gradlab"));
  CHECK(gradlab::blas_summary_line().find(b.core) != std::string::npos);
#else
  CHECK(b.library == "none");
  CHECK(b.core.empty());
#endif
}
