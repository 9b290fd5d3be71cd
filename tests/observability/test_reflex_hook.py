"""The hook into Reflex's event processor (state/reflex_hook.py) against the installed Reflex: real events
through `BaseStateEventProcessor`, so a Reflex upgrade that renames or reshapes `_execute_event` fails here."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

from reflex_base.event.processor import BaseStateEventProcessor
from reflex_base.event.processor.event_processor import EventProcessor

from tests.observability.scraped import sample

ROOT = Path(__file__).resolve().parents[2]


def test_the_wrapped_method_is_still_what_reflex_calls_per_event() -> None:
    method = BaseStateEventProcessor.__dict__["_execute_event"]
    method = getattr(method, "__wrapped__", method)  # installed already when the app module was imported
    parameters = inspect.signature(method).parameters
    assert list(parameters) == ["self", "entry", "registered_handler"]
    assert all(parameters[name].kind is inspect.Parameter.KEYWORD_ONLY for name in ("entry", "registered_handler"))
    caller = inspect.getsource(EventProcessor._process_event_queue_entry)
    assert "self._execute_event(" in caller


def test_real_events_are_counted_by_handler_and_outcome() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.observability.reflex_probe"],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=False,
        env={"PATH": "/usr/bin:/bin", "OPEX_ENV": "test", "REFLEX_TELEMETRY_ENABLED": "false"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    text = done.stdout
    # bump refused (not allowed yet), fail raised, allow, then bump twice allowed
    assert sample(text, "opex_events_total", handler="ProbeState.bump", outcome="refused") == 1
    assert sample(text, "opex_events_total", handler="ProbeState.fail", outcome="error") == 1
    assert sample(text, "opex_events_total", handler="ProbeState.allow", outcome="ok") == 1
    assert sample(text, "opex_events_total", handler="ProbeState.bump", outcome="ok") == 2
    assert sample(text, "opex_event_duration_seconds_count", handler="ProbeState.bump", outcome="ok") == 2
    assert sample(text, "opex_events_total", handler="ProbeState.wait", outcome="cancelled") == 1
    assert sample(text, "opex_events_total", handler="ProbeState.wait", outcome="error") is None

    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    events = [line for line in lines if line.get("kind") == "event"]
    assert [(e["handler"], e["outcome"]) for e in events] == [
        ("ProbeState.bump", "refused"),
        ("ProbeState.fail", "error"),
        ("ProbeState.allow", "ok"),
        ("ProbeState.bump", "ok"),
        ("ProbeState.bump", "ok"),
        ("ProbeState.wait", "cancelled"),
    ]
    assert [e.get("user_id") for e in events] == [None, None, None, 4242, 4242, None]  # known once the guard checked
    assert all(e["duration_ms"] >= 0 and len(e["request_id"]) == 32 and e["timestamp"] for e in events)
    assert events[1]["level"] == "WARNING"
