// blas_select.cpp — which OpenBLAS kernel family runs, and the start-up re-exec that replaces a
// fallback family by the one the CPU supports (gradlab/blas_info.h, blas_select.h).
#include "blas_select.h"

#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>

#include "gradlab/blas_info.h"

#if defined(GRADLAB_OPENBLAS)
#include <unistd.h>
// OpenBLAS extensions (not in every vendor's cblas.h).
extern "C" char* openblas_get_corename(void);
extern "C" char* openblas_get_config(void);
#endif

namespace gradlab {

namespace cpu {

namespace {
constexpr const char* kRestartedVar = "GRADLAB_BLAS_RESTARTED";
// Test hook (tests/python/test_blas_kernels.py): makes the decision see this name instead of
// the library's, to exercise the restart on a CPU the library recognises. The restarted
// process reports the family really loaded.
constexpr const char* kTestPretendVar = "GRADLAB_TEST_BLAS_CORENAME";

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}
}  // namespace

int core_class(const std::string& name) {
  // OpenBLAS 0.3's x86-64 family names (driver/others/dynamic.c), by the widest vector code
  // their sgemm kernels use. Excavator counts as AVX2: the library picks it only on the AMD
  // CPUs it recognises, which is not the failure this guards against.
  static const struct {
    const char* name;
    int cls;
  } kTable[] = {
      {"SapphireRapids", 3}, {"Cooperlake", 3},  {"SkylakeX", 3},    {"Haswell", 2},
      {"Zen", 2},            {"Excavator", 2},   {"Sandybridge", 1}, {"Bulldozer", 1},
      {"Piledriver", 1},     {"Steamroller", 1}, {"Prescott", 0},    {"Core2", 0},
      {"Penryn", 0},         {"Dunnington", 0},  {"Nehalem", 0},     {"Atom", 0},
      {"Nano", 0},           {"Barcelona", 0},   {"Bobcat", 0},      {"Opteron", 0},
      {"Opteron_SSE3", 0},   {"Athlon", 0},      {"Katmai", 0},      {"Coppermine", 0},
      {"Northwood", 0},      {"Banias", 0},      {"Unknown", 0},
  };
  for (const auto& row : kTable)
    if (name == row.name) return row.cls;
  return -1;
}

const char* core_for_class(SimdClass cpu) {
  switch (cpu) {
    case SimdClass::Avx512: return "SkylakeX";
    case SimdClass::Avx2: return "Haswell";
    case SimdClass::Avx: return "Sandybridge";
    case SimdClass::Sse: return "";
  }
  return "";
}

const char* simd_class_name(SimdClass cpu) {
  switch (cpu) {
    case SimdClass::Avx512: return "avx512";
    case SimdClass::Avx2: return "avx2";
    case SimdClass::Avx: return "avx";
    case SimdClass::Sse: return "sse";
  }
  return "sse";
}

std::string blas_core_to_force(const BlasSelectInput& in) {
  if (!in.user_coretype.empty() || in.restarted || !in.dynamic_arch) return "";
  const int chosen = core_class(in.library_core);
  if (chosen < 0 || chosen >= static_cast<int>(in.cpu)) return "";
  return core_for_class(in.cpu);
}

namespace {

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// __builtin_cpu_supports checks CPUID and, for AVX and AVX-512, that the OS saves the
// registers (XGETBV), so a class here is one whose instructions really run.
SimdClass cpu_simd_class() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return SimdClass::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SimdClass::Avx2;
  if (__builtin_cpu_supports("avx")) return SimdClass::Avx;
  return SimdClass::Sse;
}
#define GRADLAB_HAVE_CPU_CLASS 1
#endif

}  // namespace
}  // namespace cpu

BlasInfo blas_info() {
  BlasInfo info;
#if defined(GRADLAB_HAVE_CPU_CLASS)
  info.cpu_simd = cpu::simd_class_name(cpu::cpu_simd_class());
#endif
#if defined(GRADLAB_OPENBLAS)
  info.build = openblas_get_config();
  // "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ...": the first two words name it.
  const size_t space = info.build.find(' ');
  const size_t end = space == std::string::npos ? space : info.build.find(' ', space + 1);
  info.library = info.build.substr(0, end);
  info.core = openblas_get_corename();
  const std::string user = cpu::env_or_empty("OPENBLAS_CORETYPE");
  const std::string restarted = cpu::env_or_empty(cpu::kRestartedVar);
  if (user.empty()) {
    info.chosen_by = "library";
  } else if (!restarted.empty()) {
    info.chosen_by = "gradlab";
    info.library_pick = restarted;
  } else {
    info.chosen_by = "user";
  }
#else
  info.library = "none";
#endif
  return info;
}

std::string blas_summary_line() {
  const BlasInfo b = blas_info();
  if (b.core.empty()) return b.library;
  std::string line = b.library;
  if (b.build.find(" DYNAMIC_ARCH") != std::string::npos) line += " (DYNAMIC_ARCH)";
  line += ", kernels " + b.core + ", chosen by ";
  if (b.chosen_by == "gradlab")
    line += "gradlab (the library picked " + b.library_pick + "; the CPU has " + b.cpu_simd + ")";
  else if (b.chosen_by == "user")
    line += "the user (OPENBLAS_CORETYPE)";
  else
    line += "the library (the CPU has " + b.cpu_simd + ")";
  return line;
}

void select_blas_kernels(char** argv) {
#if defined(GRADLAB_OPENBLAS) && defined(GRADLAB_HAVE_CPU_CLASS) && defined(__linux__)
  cpu::BlasSelectInput in;
  in.user_coretype = cpu::env_or_empty("OPENBLAS_CORETYPE");
  in.restarted = !cpu::env_or_empty(cpu::kRestartedVar).empty();
  const std::string pretend = cpu::env_or_empty(cpu::kTestPretendVar);
  in.library_core = pretend.empty() ? std::string(openblas_get_corename()) : pretend;
  in.dynamic_arch = std::strstr(openblas_get_config(), " DYNAMIC_ARCH") != nullptr;
  in.cpu = cpu::cpu_simd_class();
  const std::string force = cpu::blas_core_to_force(in);
  if (force.empty()) return;
  // The marker carries the library's own pick, for blas_info() in the restarted process.
  setenv("OPENBLAS_CORETYPE", force.c_str(), 1);
  setenv(cpu::kRestartedVar, in.library_core.c_str(), 1);
  execv("/proc/self/exe", argv);
  // Not reached unless the exec failed (no /proc): carry on with the library's kernels.
  const int err = errno;
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv(cpu::kRestartedVar);
  std::fprintf(stderr,
               "gradlab: OpenBLAS chose its %s kernels although the CPU has %s; restarting with "
               "OPENBLAS_CORETYPE=%s failed (%s): set it yourself for full speed\n",
               in.library_core.c_str(), cpu::simd_class_name(in.cpu), force.c_str(),
               std::strerror(err));
#else
  (void)argv;
#endif
}

}  // namespace gradlab
