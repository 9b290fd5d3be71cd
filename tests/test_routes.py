"""The route registry (opex_app/routes.py): the public URLs are pinned, every page is registered under its
entry, the sidebar follows the registry, and no page, state or component spells a registered path itself."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from opex_app import routes

ROOT = Path(__file__).resolve().parents[1]

# Public: bookmarks, e-mailed links and the browser tests use them. Change one only with a redirect from the old.
PUBLIC_PATHS = {
    "/",
    "/login",
    "/profile",
    "/budgets",
    "/budgets/[line_id]",
    "/pos",
    "/pos/new",
    "/pos/[po_id]",
    "/pos/[po_id]/edit",
    "/variance",
    "/approvals",
    "/actuals/unlinked",
    "/actuals/new",
    "/actuals/[actual_id]",
    "/import",
    "/admin/fx",
    "/admin/masters",
    "/admin/users",
    "/admin/roles",
    "/admin/audit",
    "/admin/imports",
    "/admin/activity",
}


def test_public_paths_are_the_registry() -> None:
    assert {r.path for r in routes.ROUTES} == PUBLIC_PATHS
    assert len(routes.ROUTES) == len(PUBLIC_PATHS)  # one entry per path


def test_every_page_registers_under_its_entry() -> None:
    importlib.import_module("opex_app.opex_app")
    from reflex_base.registry import RegistrationContext

    pages = {kw["route"]: kw["title"] for _, kw in RegistrationContext.ensure_context().decorated_pages}
    assert pages == {r.path: f"{r.title} · OPEX Manager" for r in routes.ROUTES}


def test_sidebar_is_the_registry_in_section_order() -> None:
    from opex_app.components.layout import nav_items

    items = nav_items()
    assert [i.route for i in items] == [r.path for r, _ in routes.sidebar_routes()]
    assert [i.test_id for i in items][:3] == ["nav-home", "nav-budgets", "nav-pos"]
    assert [i.test_id for i in items][-2:] == ["nav-admin-imports", "nav-admin-activity"]
    approvals = next(i for i in items if i.route == routes.APPROVALS.path)
    assert approvals.count is not None  # the approver's badge
    assert next(i for i in items if i.route == routes.DASHBOARD.path).visible is True  # no permission needed


def test_url_fills_the_dynamic_segments() -> None:
    assert routes.PO_EDIT.url(po_id=7) == "/pos/7/edit"
    assert routes.BUDGET_LINE.url(line_id="42") == "/budgets/42"
    assert routes.POS.url() == "/pos"
    with pytest.raises(KeyError):
        routes.PO.url()
    with pytest.raises(TypeError, match="line_id"):
        routes.PO.url(po_id=1, line_id=2)


def test_the_older_page_form_must_agree_with_the_registry() -> None:
    from opex_app.auth.permissions import Permission
    from opex_app.components.layout import app_page

    with pytest.raises(ValueError, match="differ"):
        app_page("/admin/users", "People", permission=Permission.MANAGE_USERS)
    with pytest.raises(KeyError):
        app_page("/nowhere", "Nowhere")


def _spelled_paths(path: Path) -> list[str]:
    static = {r.path for r in routes.ROUTES if "[" not in r.path and r.path != "/"}
    prefixes = {r.path.split("[")[0] for r in routes.ROUTES if "[" in r.path}  # '/pos/' of '/pos/[po_id]'
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.split("?")[0]
            if text in static or text.rstrip("/") in static or any(text.startswith(p) for p in prefixes):
                found.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno} spells {node.value!r}")
    return found


def test_no_page_state_or_component_spells_a_path() -> None:
    files = [p for layer in ("pages", "state", "components") for p in sorted((ROOT / "opex_app" / layer).glob("*.py"))]
    found = [f for p in files for f in _spelled_paths(p)]
    assert not found, "\n".join(found) + "\nbuild it from opex_app.routes"
