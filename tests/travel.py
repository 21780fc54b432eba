"""Run a module as a program on the test's clock: ``python -m tests.travel WHEN MODULE ARGS``.

A test that starts Plaza in a subprocess (a worker it kills, say) hands it the moment
the test itself sees, so a suite run on a travelled clock (``PLAZA_TEST_NOW``) keeps
one notion of "now" across processes. The clock ticks on from ``WHEN``.
"""

from __future__ import annotations

import runpy
import sys
from datetime import datetime

import time_machine

if __name__ == "__main__":
    when, module, *args = sys.argv[1:]
    sys.argv = [module, *args]
    with time_machine.travel(datetime.fromisoformat(when), tick=True):
        runpy.run_module(module, run_name="__main__", alter_sys=True)
