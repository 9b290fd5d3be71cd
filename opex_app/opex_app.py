"""The Reflex app: registers the pages and the REST api; nothing else."""

from __future__ import annotations

import reflex as rx

from opex_app.api.routes import api
from opex_app.pages import admin_audit, admin_users, budget_line, budgets, imports, login, overview  # noqa: F401

app = rx.App(api_transformer=api)  # the theme is configured in rxconfig.py (RadixThemesPlugin)
