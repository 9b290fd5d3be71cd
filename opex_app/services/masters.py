"""Master data (towers, budget heads, cost centres, vendors, entities): matched on normalised names."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlmodel import Session, col, func, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain.names import clean_name, name_key
from opex_app.models import MASTER_MODELS, MasterBase
from opex_app.services.errors import ServiceError
from opex_app.services.request_ids import current_request_id


def master_model(kind: str) -> type[MasterBase]:
    try:
        return MASTER_MODELS[kind]
    except KeyError:
        raise ServiceError(f"unknown master '{kind}'") from None


def name_index(session: Session, kind: str) -> dict[str, int]:
    """{name_key: id} of every master of one kind; a merged duplicate's name resolves to its survivor."""
    model = master_model(kind)
    target = func.coalesce(col(model.merged_into_id), col(model.id))
    return {key: id_ for key, id_ in session.exec(select(model.name_key, target)) if id_ is not None}


def resolve(session: Session, kind: str, name: str) -> tuple[int, str] | None:
    """(id, display name) of the master of `kind` called `name` (by name key), or None. A merged duplicate's
    name resolves to its survivor, as in `name_index`: the one rule for every form that takes a master by name."""
    model = master_model(kind)
    found = session.exec(
        select(func.coalesce(col(model.merged_into_id), col(model.id))).where(model.name_key == name_key(name))
    ).first()
    if found is None:
        return None
    row = session.get(model, found)
    return (found, row.name) if row is not None else None


def names_by_id(session: Session, kind: str) -> dict[int, str]:
    """{id: display name} of every master of one kind."""
    model = master_model(kind)
    return {id_: name for id_, name in session.exec(select(model.id, model.name)) if id_ is not None}


def names(session: Session, kind: str, *, active_only: bool = True) -> list[str]:
    model = master_model(kind)
    stmt = select(model.name).order_by(col(model.name))
    if active_only:
        stmt = stmt.where(model.is_active)
    return list(session.exec(stmt))


def create_missing(
    session: Session, principal: Principal, kind: str, wanted: Iterable[str], *, import_batch_id: int | None = None
) -> dict[str, int]:
    """Create the masters of `kind` not yet known (by normalised name), each with its audit event, in one
    statement; return {name_key: id} of the new ones."""
    require(principal, Permission.EDIT_BUDGET)
    table = str(master_model(kind).__tablename__)
    fresh: dict[str, str] = {}
    for raw in wanted:
        key = name_key(raw)
        if key:
            fresh.setdefault(key, clean_name(raw))
    if not fresh:
        return {}
    rows = session.execute(
        text(f"""
        WITH created AS (
            INSERT INTO {table} (name, name_key, is_active, created_at)
            SELECT n, k, true, now() FROM unnest(CAST(:names AS text[]), CAST(:keys AS text[])) AS u(n, k)
            ON CONFLICT (name_key) DO NOTHING
            RETURNING id, name_key, name
        ), audited AS (
            INSERT INTO audit_event (at, actor, action, entity, entity_id, changes, request_id, import_batch_id)
            SELECT now(), :actor, 'create', :table, id::text, jsonb_build_object('name', jsonb_build_array(NULL, name)),
                   :request_id, :batch
            FROM created
        )
        SELECT name_key, id FROM created
        """),
        {
            "names": list(fresh.values()),
            "keys": list(fresh),
            "actor": principal.actor,
            "table": table,
            "request_id": current_request_id(),
            "batch": import_batch_id,
        },
    ).all()
    return {key: id_ for key, id_ in rows}
