"""Master data (towers, budget heads, cost centres, vendors, entities): matched on normalised names."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain.names import clean_name, name_key
from opex_app.models import MASTER_MODELS, MasterBase
from opex_app.services import audit
from opex_app.services.errors import ServiceError


def master_model(kind: str) -> type[MasterBase]:
    try:
        return MASTER_MODELS[kind]
    except KeyError:
        raise ServiceError(f"unknown master '{kind}'") from None


def name_index(session: Session, kind: str) -> dict[str, int]:
    """{name_key: id} of every master of one kind."""
    model = master_model(kind)
    return {key: id_ for key, id_ in session.exec(select(model.name_key, model.id)) if id_ is not None}


def names(session: Session, kind: str, *, active_only: bool = True) -> list[str]:
    model = master_model(kind)
    stmt = select(model.name).order_by(col(model.name))
    if active_only:
        stmt = stmt.where(model.is_active)
    return list(session.exec(stmt))


def create_missing(
    session: Session, principal: Principal, kind: str, wanted: Iterable[str], *, import_batch_id: int | None = None
) -> dict[str, int]:
    """Create the masters of `kind` not yet known (by normalised name); return {name_key: id} of the new ones."""
    require(principal, Permission.EDIT_BUDGET)
    model = master_model(kind)
    known = name_index(session, kind)
    created: dict[str, int] = {}
    for raw in wanted:
        display, key = clean_name(raw), name_key(raw)
        if not key or key in known or key in created:
            continue
        row = model(name=display, name_key=key)
        session.add(row)
        session.flush()
        assert row.id is not None
        created[key] = row.id
        audit.record(
            session,
            principal,
            action="create",
            entity=str(model.__tablename__),
            entity_id=row.id,
            changes={"name": [None, display]},
            import_batch_id=import_batch_id,
        )
    return created
