#!/usr/bin/env python3
"""Runs the package's unittest suite and prints TAP-style lines
("ok - python: NAME" / "not ok - python: NAME") for tests/run.sh."""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))


class TapResult(unittest.TestResult):
    def _name(self, test):
        return f"python: {test.id().split('.', 1)[-1]}"

    def addSuccess(self, test):
        print(f"ok - {self._name(test)}", flush=True)

    def _fail(self, test, err, kind):
        print(f"not ok - {self._name(test)} ({kind})")
        for line in self._exc_info_to_string(err, test).splitlines():
            print(f"# {line}")
        sys.stdout.flush()

    def addFailure(self, test, err):
        self._fail(test, err, "failure")

    def addError(self, test, err):
        self._fail(test, err, "error")

    def addSkip(self, test, reason):
        print(f"not ok - {self._name(test)} (skipped: {reason})", flush=True)


suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py")
res = TapResult()
suite.run(res)
sys.exit(0 if res.wasSuccessful() else 1)
