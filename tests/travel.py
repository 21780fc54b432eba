"""Run a program on the test's clock: ``python -m tests.travel WHEN MODULE ARGS``
(or ``WHEN -c CODE ARGS``, as ``python -c``).

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
    when, program, *args = sys.argv[1:]
    with time_machine.travel(datetime.fromisoformat(when), tick=True):
        if program == "-c":
            code, *args = args
            sys.argv = ["-c", *args]
            exec(compile(code, "<string>", "exec"), {"__name__": "__main__"})
        else:
            sys.argv = [program, *args]
            runpy.run_module(program, run_name="__main__", alter_sys=True)
