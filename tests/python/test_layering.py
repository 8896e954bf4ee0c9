"""Include discipline of the lab's numerical code (issue 14: one numerical seam).

Code that works on plain double buffers goes through the public include/gradlab/linalg.h; the
GEMM kernels are the backend's business. Checked on the sources, line by line:
  - every #include "..." in src/experiments/ names a public header (gradlab/...) or one of
    src/experiments/'s own headers (experiments/...);
  - src/experiments/, src/svm/, src/spectrum/ never include a backend header (backend/... or
    the GEMM kernels' gradlab/gemm.h);
  - the GEMM kernels' header is included only by src/backend/, src/linalg/ and the benchmarks
    (src/bench/ times the kernels themselves).
A test that finds no source files fails, so a moved folder cannot make it pass vacuously.
"""
import os
import re
import unittest

import support

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.MULTILINE)
GEMM_HEADERS = ("gradlab/gemm.h", "backend/cpu/gemm.h")


def sources(folder):
    """(path relative to the repository, text) of every .cpp / .h / .cu under src/FOLDER."""
    root = os.path.join(support.ROOT, "src", folder)
    out = []
    for base, _, files in os.walk(root):
        for name in sorted(files):
            if name.endswith((".cpp", ".h", ".cu", ".cuh")):
                path = os.path.join(base, name)
                with open(path, encoding="utf-8") as f:
                    out.append((os.path.relpath(path, support.ROOT), f.read()))
    return out


class IncludeDiscipline(unittest.TestCase):
    def test_experiments_include_only_public_headers(self):
        files = sources("experiments")
        self.assertGreater(len(files), 5, "no sources found under src/experiments/")
        for path, text in files:
            for header in INCLUDE.findall(text):
                self.assertTrue(header.startswith(("gradlab/", "experiments/")),
                                f"{path} includes \"{header}\": src/experiments/ may include only "
                                "include/gradlab/ headers and its own experiments/*.h")

    def test_no_backend_headers_above_the_backend(self):
        for folder in ("experiments", "svm", "spectrum"):
            files = sources(folder)
            self.assertTrue(files, f"no sources found under src/{folder}/")
            for path, text in files:
                for header in INCLUDE.findall(text):
                    self.assertFalse(header.startswith("backend/") or header in GEMM_HEADERS,
                                     f"{path} includes the backend header \"{header}\"; use "
                                     "gradlab/linalg.h (Matrix, matmul, symmetric_eigen, spd_solve)")

    def test_gemm_kernels_only_behind_linalg_and_backend(self):
        allowed = ("src/backend/", "src/linalg/", "src/bench/")
        seen = 0
        for folder in sorted(os.listdir(os.path.join(support.ROOT, "src"))):
            for path, text in sources(folder):
                seen += 1
                if any(h in GEMM_HEADERS for h in INCLUDE.findall(text)):
                    self.assertTrue(path.startswith(allowed),
                                    f"{path} calls the GEMM kernels directly; only "
                                    f"{', '.join(allowed)} may (others use gradlab/linalg.h)")
        self.assertGreater(seen, 50, "too few sources under src/")


if __name__ == "__main__":
    unittest.main()
