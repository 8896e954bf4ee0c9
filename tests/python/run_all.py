#!/usr/bin/python3
"""Runs gradlab's Python oracle tests: every tests/python/test_*.py, as unittest test cases.

The oracles are PyTorch and scikit-learn from Debian (python3-torch, python3-sklearn), so this runs
under Debian's /usr/bin/python3 (./lab test does that). A test module that fails to import (a
missing package, a syntax error) is reported as a failed test, never skipped.

The last line is "P passed, F failed, S skipped": ./lab test adds it to its totals.
Run one module alone with: /usr/bin/python3 tests/python/run_all.py test_something
"""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv):
    sys.path.insert(0, HERE)  # test modules import support.py
    loader = unittest.defaultTestLoader
    if argv:
        suite = loader.loadTestsFromNames(argv)
    else:
        suite = loader.discover(start_dir=HERE, pattern="test_*.py", top_level_dir=HERE)
    if suite.countTestCases() == 0:
        print("python oracle tests: no tests/python/test_*.py yet")
        print("0 passed, 0 failed, 0 skipped")
        return 0
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
