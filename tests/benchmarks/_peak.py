"""Run a Python module or code as __main__ and report this process's peak RSS (VmHWM, which exec resets,
unlike ru_maxrss) to the file named by OPEX_PEAK_FILE.

    python tests/benchmarks/_peak.py -m opex_app.cli import budget FILE
    python tests/benchmarks/_peak.py -c "import polars; polars.read_excel('FILE')"
"""

from __future__ import annotations

import atexit
import os
import runpy
import sys


def _report() -> None:
    with open("/proc/self/status") as status:
        peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    with open(os.environ["OPEX_PEAK_FILE"], "w") as out:
        out.write(str(peak_kb))


atexit.register(_report)
_real_exit = os._exit


def _report_and_exit(code: int) -> None:  # the CLI leaves with os._exit, which skips atexit
    _report()
    _real_exit(code)


os._exit = _report_and_exit
sys.path[0] = os.getcwd()  # like `python -m`: import from the working directory, not this folder
mode, target, *rest = sys.argv[1:]
sys.argv = [target, *rest]
if mode == "-m":
    runpy.run_module(target, run_name="__main__", alter_sys=True)
else:
    exec(compile(target, "<bench>", "exec"), {"__name__": "__main__"})
