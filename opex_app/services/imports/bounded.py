"""Reading an import file in a subprocess with bounded memory and time, so that one hostile or huge upload
cannot starve the other users of the app worker that received it.

Why a subprocess: the parse is native code (fastexcel, Polars) holding hundreds of MB for a large sheet and
running for seconds without returning to Python, so checks between phases cannot stop it in the middle,
and a limit on the worker's own memory would take the whole worker down with the upload. A child process
gets its own data limit (`OPEX_IMPORT_MAX_MEMORY_BYTES`): an allocation past it fails in the child
(MemoryError, or an abort in native code) and the worker only reads that it died. The worker waits for the
result with a timeout (`OPEX_IMPORT_MAX_SECONDS`) and kills the child past it.

The limit is RLIMIT_DATA (the heap and private writable mappings, Linux 4.7+), not RLIMIT_AS: Polars and
fastexcel reserve address space they never touch, so the address space of a 200,000-line read needed more
than 1.5 GB while its resident peak was 425-550 MB; under RLIMIT_DATA the same read ran at 600 MB and
failed at 500 MB. The data limit tracks what a read really uses.

The child is a fresh interpreter (`python -m` this module), not a fork: the worker has threads (the event
loop's, Polars' pool, the database pool) and a fork copies their locks in whatever state they are; and not
multiprocessing's spawn, which re-imports the parent's main module (the app server's). The job (with this
process's settings) and the result travel pickled through its stdin and stdout (the rows as Arrow IPC).
Starting an interpreter and importing Polars and the engine takes one to two seconds, so one child is kept
started and waiting for its job (`_warm`): a read takes it and starts the next. A waiting child costs an idle
interpreter (~100 MB) per worker, and ends by itself when the worker does (its stdin closes). What remains
is the hand-back of the rows and a read in a cold process: about +2.5 s on a 100,000-line workbook on the
loaded 2-core CI machine (`bench_hostile.py`), partly hidden behind the pipeline's database reads.

The CLI reads in its own process (one user, its own limits): it calls `reading.read_file` directly.
"""

from __future__ import annotations

import atexit
import io
import pickle
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest import ParsedImport, WorkbookRefused, WorkbookUnreadable
from opex_app.services.imports.reading import read_file
from opex_app.settings import get_settings

_MB = 1024 * 1024
_ADVICE = "Split it, or remove what is not needed (other sheets, formatting, empty rows)."


def _child_main() -> None:
    """The child's whole life: wait for its job on stdin (its imports done), limit its memory, read the
    file, write the result (or the refusal) to stdout, pickled. A worker that ends first closes stdin."""
    try:
        max_memory, args, kwargs = pickle.load(sys.stdin.buffer)
    except EOFError:
        return
    resource.setrlimit(resource.RLIMIT_DATA, (max_memory, max_memory))
    try:
        outcome: tuple[str, Any] = ("ok", _packed(read_file(*args, **kwargs)))
    except (WorkbookUnreadable, WorkbookRefused) as exc:
        outcome = ("refused", exc)
    except MemoryError:
        outcome = ("memory", None)
    try:
        payload = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:  # the result itself does not fit in what is left
        payload = pickle.dumps(("memory", None))
    sys.stdout.buffer.write(payload)
    sys.stdout.buffer.flush()


def _packed(parsed: ParsedImport) -> tuple[ParsedImport, bytes]:
    """The result with its rows as Arrow IPC bytes: a third of the time of pickling the frame (100,000 lines,
    46 MB: 0.21 s written and read back, against 0.8 s pickled and unpickled)."""
    buffer = io.BytesIO()
    parsed.rows.write_ipc(buffer)
    parsed.rows = parsed.rows.clear()
    return parsed, buffer.getvalue()


def _unpacked(value: Any) -> ParsedImport | None:
    if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], ParsedImport)):
        return None
    parsed, rows = value
    parsed.rows = pl.read_ipc(io.BytesIO(rows))
    return parsed


_warm: subprocess.Popen[bytes] | None = None
_warm_lock = threading.Lock()


def _start_child() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _take_child() -> subprocess.Popen[bytes]:
    """The waiting child if there is a live one (else a new one), and a new one started to wait for the next read."""
    global _warm
    with _warm_lock:
        child, _warm = _warm, _start_child()
    return child if child is not None and child.poll() is None else _start_child()


@atexit.register
def _stop_waiting_child() -> None:
    with _warm_lock:
        if _warm is not None and _warm.stdin is not None:
            _warm.stdin.close()  # its job never comes: it ends
            _warm.wait()


def read_file_bounded(
    data: bytes | Path,
    kind: str,
    *,
    file_name: str,
    fiscal_year: FiscalYear | None,
    mapping: Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> ParsedImport:
    """`reading.read_file` in a child process held to the configured memory and time. Raises what
    `read_file` raises, and WorkbookUnreadable with one clear line when the file needs more than either."""
    settings = get_settings()
    max_memory, max_seconds = settings.import_max_memory_bytes, settings.import_max_seconds
    kwargs = {
        "file_name": file_name,
        "fiscal_year": fiscal_year,
        "mapping": dict(mapping or {}),
        "sheet": sheet,
        "settings": settings,  # the child reads with this process's limits, even those not from the environment
    }
    job = pickle.dumps((max_memory, (data, kind), kwargs), protocol=pickle.HIGHEST_PROTOCOL)
    name = Path(file_name).name
    with _take_child() as child:
        try:
            output, errors = child.communicate(job, timeout=max_seconds)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            raise WorkbookUnreadable(
                f"{name} took longer than {max_seconds:g} seconds to read (the limit for an import): refused. {_ADVICE}"
            ) from None
    status, value = _outcome(child.returncode, output, errors)
    if status == "ok" and (parsed := _unpacked(value)) is not None:
        return parsed
    if status == "refused" and isinstance(value, WorkbookUnreadable | WorkbookRefused):
        raise value
    if status == "memory":
        raise WorkbookUnreadable(
            f"{name} needs more than {max_memory // _MB:,} MB of memory to read (the limit for an import): "
            f"refused. {_ADVICE}"
        )
    raise WorkbookUnreadable(f"{name} could not be read: the reader stopped ({value})")


def _outcome(returncode: int, output: bytes, errors: bytes) -> tuple[str, Any]:
    """What the child said, or why it said nothing: out of memory (a native allocation failure aborts with
    'memory allocation of N bytes failed'; the kernel's OOM killer sends SIGKILL) or another failure."""
    if returncode == 0:
        try:
            return pickle.loads(output)  # type: ignore[no-any-return]
        except (pickle.UnpicklingError, EOFError, ValueError):
            return "failed", "its answer was cut short"
    if b"memory allocation of" in errors or b"MemoryError" in errors or returncode == -signal.SIGKILL:
        return "memory", None
    last = errors.decode(errors="replace").strip().splitlines()[-1:] or [f"exit status {returncode}"]
    return "failed", last[0][:200]


if __name__ == "__main__":
    _child_main()
