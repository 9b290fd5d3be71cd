"""The Reflex app: registers the pages and the REST api; nothing else."""

from __future__ import annotations

import reflex as rx

from opex_app.api.routes import api
from opex_app.pages import (  # noqa: F401
    actual_detail,
    actuals,
    admin_audit,
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

app = rx.App(api_transformer=api)  # the theme is configured in rxconfig.py (RadixThemesPlugin)
