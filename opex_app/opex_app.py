"""The Reflex app: registers the pages and the REST api; nothing else."""

from __future__ import annotations

import reflex as rx
from reflex.utils.prerequisites import get_states_dir
from starlette.types import ASGIApp

from opex_app.api.http_metrics import HttpMetricsMiddleware
from opex_app.api.metrics import metrics_api
from opex_app.api.routes import api
from opex_app.api.security_headers import SecurityHeadersMiddleware
from opex_app.api.upload_guard import UploadGuardMiddleware
from opex_app.pages import (  # noqa: F401
    actual_detail,
    actuals,
    admin_activity,
    admin_audit,
    admin_imports,
    admin_masters,
    admin_roles,
    admin_users,
    approvals,
    budget_line,
    budgets,
    dashboard,
    fx,
    imports,
    login,
    po_detail,
    po_form,
    pos,
    profile,
    variance,
)
from opex_app.services.log_lines import configure_logging
from opex_app.services.metrics import forget_dead_processes
from opex_app.services.private_files import keep_files_private
from opex_app.settings import get_settings
from opex_app.state.backend_errors import backend_exception_handler
from opex_app.state.guard import refuse_unguarded_handlers
from opex_app.state.reflex_hook import install as install_event_hook
from opex_app.state.upload_session import authorise_upload


def _upload_guard(inner: ASGIApp) -> ASGIApp:
    return UploadGuardMiddleware(inner, max_bytes=get_settings().upload_max_bytes, authorise=authorise_upload)


def _http_metrics(inner: ASGIApp) -> ASGIApp:
    return HttpMetricsMiddleware(inner, routes=metrics_api.routes)


# Once per worker process: the log format, the dead workers' live gauges dropped, every Reflex event timed.
configure_logging()
forget_dead_processes()
install_event_hook()

# Applied in order around Reflex's own app (its pages, static frontend, /_upload and event socket): the REST
# routes, /metrics, then the upload gate, then the headers so that the gate's refusals carry them too, then the
# HTTP metrics and access log outermost, timing all of it (route templates read from metrics_api, which holds
# every route once Reflex has mounted the rest under it).
# The theme is configured in rxconfig.py (RadixThemesPlugin).
# A Redis outage fails every event: backend_exception_handler says so instead of Reflex's generic error toast.
app = rx.App(
    api_transformer=[api, metrics_api, _upload_guard, SecurityHeadersMiddleware, _http_metrics],
    backend_exception_handler=backend_exception_handler,
)
refuse_unguarded_handlers()  # every page and state is imported by now


def _files_private() -> None:
    """Each serving worker, at start: umask 077 and the data folders and Reflex's saved tab states (`.states`,
    when there is no Redis) private to the app's user (services/private_files.py says why not at import)."""
    keep_files_private(extra_folders=[get_states_dir()])


app.register_lifespan_task(_files_private)
