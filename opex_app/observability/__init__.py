"""Operations: Prometheus metrics (one scrape covers every worker) and structured log lines.

- `metrics`: the metric definitions and the few `record_*` calls the app makes (a leaf: services import it);
- `logs`: the JSON / text formatter and `configure_logging()`;
- `http`: the ASGI middleware timing and logging every HTTP request by route template;
- `events`: times, counts and logs one Reflex event (`observed_event`), Reflex-free;
- `reflex_hook`: the one place that hooks Reflex's event processor to call `observed_event`;
- `imports`: the decorator on the import pipeline;
- `scrape`: figures computed when /metrics is read (DB pool, live sessions).

`start()` is called once per worker process when the app module loads.
"""

from __future__ import annotations


def start() -> None:
    """Logging configured, dead workers' live gauges dropped, Reflex's events timed: once per process."""
    from opex_app.observability import logs, metrics, reflex_hook

    logs.configure_logging()
    metrics.forget_dead_processes()
    reflex_hook.install()
