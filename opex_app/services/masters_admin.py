"""Master data administration (Admin): list with reference counts, create, rename, deactivate/reactivate
towers, budget heads, cost centres, vendors and entities; activate/deactivate currencies and fiscal years.

Masters are never deleted (a trigger of migration 0002 refuses it): budget lines, POs and invoices refer to
them by id, and the audit trail names them. Names are unique by `name_key` (trimmed, case-folded), so
'ACME Ltd' and 'acme  ltd' cannot both exist; a rename to a name another master already has is refused
with a pointer to merging (services/master_merge.py). Reports read names by id, so a rename shows
everywhere at once; variance comments, which are keyed by the member's label, follow the rename.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, func, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain.names import clean_name, contains_pattern, name_key
from opex_app.models import Currency, FiscalYearRow, MasterBase
from opex_app.services import audit
from opex_app.services.errors import NotFound, ServiceError
from opex_app.services.masters import master_model
from opex_app.settings import get_settings

PAGE_SIZE = 25
KIND_LABELS = {
    "tower": "Tower",
    "budget_head": "Budget head",
    "cost_centre": "Cost centre",
    "vendor": "Vendor",
    "entity": "Entity",
}
# Every column that refers to a master, per kind: (table, column). A test compares this with the
# database's own columns named <kind>_id, so a new reference cannot be forgotten by a merge.
REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "tower": (("budget_line", "tower_id"),),
    "budget_head": (("budget_line", "budget_head_id"),),
    "cost_centre": (("budget_line", "cost_centre_id"),),
    "vendor": (("budget_line", "vendor_id"), ("purchase_order", "vendor_id"), ("actual", "vendor_id")),
    "entity": (("budget_line", "entity_id"), ("purchase_order", "entity_id")),
}
MAX_NAME = 200


@dataclass(frozen=True)
class MasterRow:
    id: int
    name: str
    code: str | None
    is_active: bool
    merged_into: str | None  # the survivor's name, for a merged duplicate
    references: dict[str, int]  # {table: rows referring to this master}

    @property
    def total_references(self) -> int:
        return sum(self.references.values())


@dataclass(frozen=True)
class MasterPage:
    rows: list[MasterRow]
    total: int
    page: int
    page_count: int


def _reference_counts(session: Session, kind: str, ids: list[int]) -> dict[str, dict[int, int]]:
    """{table: {master id: rows}} for one page of masters: one grouped query per referring column, so a
    table is read once per page (budget_line has no per-master index: migration 0002 dropped them for
    import speed). Table and column names come from REFERENCES, never from input."""
    counts: dict[str, dict[int, int]] = {}
    for table, column in REFERENCES[kind]:
        rows = session.execute(
            text(f"SELECT {column}, count(*) FROM {table} WHERE {column} = ANY(:ids) GROUP BY {column}"),
            {"ids": ids},
        ).tuples()
        counts[table] = {int(id_): int(n) for id_, n in rows}
    return counts


def list_masters(
    *, session: Session, principal: Principal, kind: str, query: str = "", page: int = 1, page_size: int = PAGE_SIZE
) -> MasterPage:
    """One page of the masters of `kind` whose name or code contains `query`, by name, with reference counts."""
    require(principal, Permission.MANAGE_MASTERS)
    table = str(master_model(kind).__tablename__)
    where = "(m.name ILIKE :pattern ESCAPE '\\' OR coalesce(m.code, '') ILIKE :pattern ESCAPE '\\')"
    params: dict[str, object] = {"pattern": contains_pattern(query)}
    total = int(session.execute(text(f"SELECT count(*) FROM {table} m WHERE {where}"), params).scalar_one())
    page_count = max(1, -(-total // page_size))
    page = min(max(1, page), page_count)
    rows = session.execute(
        text(f"""
        SELECT m.id, m.name, m.code, m.is_active, s.name AS merged_into
        FROM {table} m LEFT JOIN {table} s ON s.id = m.merged_into_id
        WHERE {where}
        ORDER BY m.name_key, m.id
        LIMIT :limit OFFSET :offset
        """),
        {**params, "limit": page_size, "offset": (page - 1) * page_size},
    ).all()
    counts = _reference_counts(session, kind, [r.id for r in rows]) if rows else {}
    listed = [
        MasterRow(r.id, r.name, r.code, r.is_active, r.merged_into, {t: n.get(r.id, 0) for t, n in counts.items()})
        for r in rows
    ]
    return MasterPage(listed, total, page, page_count)


def _valid_name(name: str) -> tuple[str, str]:
    shown, key = clean_name(name), name_key(name)
    if not key:
        raise ServiceError("the name is empty")
    if len(shown) > MAX_NAME:
        raise ServiceError(f"the name is longer than {MAX_NAME} characters")
    return shown, key


def _taken(session: Session, model: type[MasterBase], key: str, kind: str) -> None:
    other = session.exec(select(model.name).where(model.name_key == key)).first()
    if other is not None:
        label = KIND_LABELS[kind].lower()
        raise ServiceError(f"a {label} named '{other}' already exists (names differing only in case or spaces clash)")


def get_master(session: Session, kind: str, master_id: int, *, for_update: bool = False) -> MasterBase:
    row = session.get(master_model(kind), master_id, with_for_update=for_update)
    if row is None:
        raise NotFound(f"no {KIND_LABELS[kind].lower()} with id {master_id}")
    return row


def find_by_name(*, session: Session, principal: Principal, kind: str, name: str) -> MasterBase:
    """The master of `kind` called `name` (matched by name key, as imports match)."""
    require(principal, Permission.MANAGE_MASTERS)
    model = master_model(kind)
    row = session.exec(select(model).where(model.name_key == name_key(name))).first()
    if row is None:
        raise NotFound(f"no {KIND_LABELS[kind].lower()} named '{clean_name(name)}'")
    return row


def create_master(*, session: Session, principal: Principal, kind: str, name: str, code: str = "") -> int:
    """A new active master; its name must not clash (by name key) with any of its kind, active or not."""
    require(principal, Permission.MANAGE_MASTERS)
    model = master_model(kind)
    shown, key = _valid_name(name)
    _taken(session, model, key, kind)
    row = model(name=shown, name_key=key, code=code.strip() or None)
    session.add(row)
    session.flush()
    changes = {"name": [None, shown], "code": [None, row.code]}
    audit.record(session, principal, action="create", entity=kind, entity_id=row.id, changes=changes)
    assert row.id is not None
    return row.id


def rename_master(*, session: Session, principal: Principal, kind: str, master_id: int, name: str) -> bool:
    """Rename (a change of case or spacing only is allowed); variance comments keyed by the old label follow.
    Returns whether anything changed."""
    require(principal, Permission.MANAGE_MASTERS)
    model = master_model(kind)
    row = get_master(session, kind, master_id, for_update=True)
    shown, key = _valid_name(name)
    if shown == row.name:
        return False
    if key != row.name_key:
        _taken(session, model, key, kind)
    old = row.name
    row.name, row.name_key = shown, key
    session.add(row)
    session.flush()
    comments = move_comments(session, kind, old, shown)
    changes = {"name": [old, shown], "variance_comments_moved": comments}
    audit.record(session, principal, action="rename", entity=kind, entity_id=row.id, changes=changes)
    return True


def move_comments(session: Session, kind: str, old: str, new: str) -> int:
    """Variance comments are keyed by the member's label: relabel those of `old` as `new` at this level,
    except where `new` already has a comment for the same FY and period (that one is kept). Returns how
    many moved."""
    result = session.execute(
        text("""
        UPDATE variance_comment v SET member = :new
        WHERE v.level = :kind AND v.member = :old
          AND NOT EXISTS (SELECT 1 FROM variance_comment s WHERE s.fiscal_year_id = v.fiscal_year_id
                          AND s.level = v.level AND s.period = v.period AND s.member = :new)
        """),
        {"kind": kind, "old": old, "new": new},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _switch(session: Session, principal: Principal, row: Any, *, entity: str, entity_id: Any, active: bool) -> bool:
    """Set `row.is_active` (a master, a currency or a fiscal year) and audit it; False when it already was."""
    if row.is_active == active:
        return False
    row.is_active = active
    session.add(row)
    session.flush()
    action = "reactivate" if active else "deactivate"
    changes = {"is_active": [not active, active]}
    audit.record(session, principal, action=action, entity=entity, entity_id=entity_id, changes=changes)
    return True


def set_master_active(*, session: Session, principal: Principal, kind: str, master_id: int, active: bool) -> bool:
    """Deactivate (left out of the pickers; existing references stay) or reactivate one master.
    A merged duplicate stays inactive: its references moved to the survivor."""
    require(principal, Permission.MANAGE_MASTERS)
    row = get_master(session, kind, master_id, for_update=True)
    if active and not row.is_active and row.merged_into_id is not None:
        raise ServiceError(f"'{row.name}' was merged into another {KIND_LABELS[kind].lower()}: it stays inactive")
    return _switch(session, principal, row, entity=kind, entity_id=row.id, active=active)


def list_currencies(*, session: Session, principal: Principal) -> list[Currency]:
    require(principal, Permission.MANAGE_MASTERS)
    return list(session.exec(select(Currency).order_by(col(Currency.code))))


def set_currency_active(*, session: Session, principal: Principal, code: str, active: bool) -> bool:
    """Activate or deactivate a currency (an inactive one is refused on new POs and left out of templates).
    The base currency cannot be deactivated: every figure is reported in it."""
    require(principal, Permission.MANAGE_MASTERS)
    row = session.get(Currency, code.strip().upper(), with_for_update=True)
    if row is None:
        raise NotFound(f"no currency {code.strip().upper()}")
    if not active and row.code == get_settings().base_currency:
        raise ServiceError(f"{row.code} is the base currency: it cannot be deactivated")
    return _switch(session, principal, row, entity="currency", entity_id=row.code, active=active)


def fiscal_years_with_counts(*, session: Session, principal: Principal) -> list[tuple[FiscalYearRow, int]]:
    """Every fiscal year, newest first, with its number of budget lines."""
    require(principal, Permission.MANAGE_MASTERS)
    counts = dict(
        session.execute(text("SELECT fiscal_year_id, count(*) FROM budget_line GROUP BY fiscal_year_id")).tuples().all()
    )
    years = session.exec(select(FiscalYearRow).order_by(col(FiscalYearRow.end_year).desc())).all()
    return [(fy, int(counts.get(fy.id, 0))) for fy in years]


def set_fiscal_year_active(*, session: Session, principal: Principal, fiscal_year_id: int, active: bool) -> bool:
    """An inactive FY is left out of the FY pickers; its lines, POs and invoices stay as they are."""
    require(principal, Permission.MANAGE_MASTERS)
    row = session.get(FiscalYearRow, fiscal_year_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no fiscal year with id {fiscal_year_id}")
    return _switch(session, principal, row, entity="fiscal_year", entity_id=row.id, active=active)


def count_masters(session: Session, kind: str) -> int:
    model = master_model(kind)
    return int(session.exec(select(func.count()).select_from(model)).one())
