"""The linear assignment solver behind mode_connectivity's weight matching
(src/experiments/weight_matching.cpp) against scipy.optimize.linear_sum_assignment.

tests/torch/assignment_driver solves seeded random cost matrices: square and rectangular
(rows < columns), Gaussian (a unique optimum almost surely: the same assignment as scipy) and
small integers (ties: the same optimal total), minimised and maximised, up to 60 × 80.
"""
import json
import os
import subprocess
import tempfile
import unittest

import numpy as np
from scipy.optimize import linear_sum_assignment

import support


def driver_path():
    build = os.environ.get("GRADLAB_NATIVE_BUILD", os.path.dirname(support.NATIVE_CLI))
    if not os.path.isabs(build):
        build = os.path.join(support.ROOT, build)
    candidates = [os.path.join(build, "assignment_driver"),
                  os.path.join(build, "tests", "assignment_driver")]
    for path in candidates:
        if os.access(path, os.X_OK):
            return path
    raise AssertionError("assignment_driver is not built (looked for " + ", ".join(candidates) +
                         "): cmake --build build/native --target assignment_driver")


class AssignmentMatchesScipy(unittest.TestCase):
    def test_random_matrices(self):
        rng = np.random.default_rng(19)
        cases = []
        for trial in range(40):
            rows = int(rng.integers(1, 61))
            cols = rows + (int(rng.integers(0, 21)) if trial % 3 == 0 else 0)
            if trial % 2:
                cost = rng.integers(0, 5, size=(rows, cols)).astype(float)
            else:
                cost = rng.standard_normal((rows, cols))
            cases.append({"cost": cost.tolist(), "maximize": bool(trial % 4 >= 2)})
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "cases.json")
            with open(path, "w") as f:
                json.dump({"cases": cases}, f)
            out = subprocess.run([driver_path(), path], capture_output=True, text=True, check=True)
        columns = json.loads(out.stdout)["columns"]
        self.assertEqual(len(columns), len(cases))
        for trial, (case, ours) in enumerate(zip(cases, columns)):
            cost = np.array(case["cost"])
            rows_idx, theirs = linear_sum_assignment(cost, maximize=case["maximize"])
            self.assertEqual(len(set(ours)), cost.shape[0], f"case {trial}: a column used twice")
            ours_total = cost[np.arange(cost.shape[0]), ours].sum()
            theirs_total = cost[rows_idx, theirs].sum()
            self.assertAlmostEqual(ours_total, theirs_total, places=9, msg=f"case {trial}")
            if trial % 2 == 0:  # Gaussian costs: the optimum is unique
                self.assertEqual(list(ours), list(theirs), f"case {trial}")


if __name__ == "__main__":
    unittest.main()
