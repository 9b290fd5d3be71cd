"""Mapping profiles: an analyst's saved column mapping (file header → field) for one import kind.

A profile is offered again for a later file when every header it maps is among the file's headers.
Headers are compared by `header_key` (case, spaces and punctuation ignored), the same key the import
engine matches headers on, so a profile fits exactly the files the engine would read with it.
Names are unique per kind once trimmed, case-folded and with white space collapsed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.domain.ingest.headers import header_key
from opex_app.domain.names import name_key
from opex_app.models import MappingProfile
from opex_app.models._types import utcnow
from opex_app.models.mapping import PROFILE_NAME_MAX
from opex_app.services import audit
from opex_app.services.errors import NotFound, ServiceError

IMPORT_KINDS: tuple[str, ...] = ("budget", "pos", "actuals", "fx")
ENTITY = "mapping_profile"


@dataclass(frozen=True)
class ProfileView:
    id: int
    kind: str
    name: str
    mapping: dict[str, str]  # {file header text: field}
    updated_by: str  # who last changed it (its creator until someone changes it)
    updated_at: datetime


def list_profiles(session: Session, principal: Principal, *, kind: str) -> list[ProfileView]:
    """Every profile of one import kind, by name (case-insensitive)."""
    require(principal, Permission.IMPORT)
    stmt = (
        select(MappingProfile)
        .where(MappingProfile.kind == _kind(kind))
        .order_by(col(MappingProfile.name_key), col(MappingProfile.id))
    )
    return [_view(row) for row in session.exec(stmt)]


def get_profile(session: Session, principal: Principal, *, kind: str, name: str) -> ProfileView | None:
    """The profile of `kind` with this name (matched as names are kept unique), or None."""
    require(principal, Permission.IMPORT)
    row = _by_name(session, _kind(kind), name_key(name or ""))
    return None if row is None else _view(row)


def save_profile(
    session: Session, principal: Principal, *, kind: str, name: str, mapping: Mapping[str, str]
) -> ProfileView:
    """Save `mapping` as the profile `name` of `kind`: a new profile, or the new mapping of the profile of
    that kind already bearing this name (its name is kept as it was; rename it to change it).

    Audited as create, or as update with the mapping before and after; saving the same mapping again
    changes nothing and records nothing."""
    require(principal, Permission.IMPORT)
    kind_ = _kind(kind)
    clean_name, key = _name(name)
    clean = _mapping(mapping)
    keys = _header_keys(clean)
    row = _by_name(session, kind_, key, for_update=True)
    if row is None:
        row = MappingProfile(
            kind=kind_, name=clean_name, name_key=key, mapping=clean, header_keys=keys, created_by=principal.actor
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            principal,
            action="create",
            entity=ENTITY,
            entity_id=row.id,
            changes={"kind": [None, kind_], "name": [None, clean_name], "mapping": [None, clean]},
        )
        return _view(row)
    if row.mapping == clean:
        return _view(row)
    before = dict(row.mapping)
    row.mapping = clean
    row.header_keys = keys
    _touch(row, principal)
    session.add(row)
    session.flush()
    audit.record(
        session, principal, action="update", entity=ENTITY, entity_id=row.id, changes={"mapping": [before, clean]}
    )
    return _view(row)


def rename_profile(session: Session, principal: Principal, *, profile_id: int, new_name: str) -> ProfileView:
    """Give a profile a new name, refused when another profile of its kind already bears it (audited)."""
    require(principal, Permission.IMPORT)
    row = _get(session, profile_id)
    clean_name, key = _name(new_name)
    if clean_name == row.name:
        return _view(row)
    if key != row.name_key and (taken := _by_name(session, row.kind, key)) is not None:
        raise ServiceError(f"Another {row.kind} mapping profile is already named '{taken.name}'.")
    before = row.name
    row.name, row.name_key = clean_name, key
    _touch(row, principal)
    session.add(row)
    session.flush()
    audit.record(
        session, principal, action="update", entity=ENTITY, entity_id=row.id, changes={"name": [before, clean_name]}
    )
    return _view(row)


def delete_profile(session: Session, principal: Principal, *, profile_id: int) -> None:
    """Delete a profile; the audit event keeps its kind, name and mapping."""
    require(principal, Permission.IMPORT)
    row = _get(session, profile_id)
    changes = {"kind": [row.kind, None], "name": [row.name, None], "mapping": [dict(row.mapping), None]}
    session.delete(row)
    session.flush()
    audit.record(session, principal, action="delete", entity=ENTITY, entity_id=profile_id, changes=changes)


def profile_for_headers(
    session: Session, principal: Principal, *, kind: str, headers: Sequence[str]
) -> ProfileView | None:
    """The profile to offer for a file with these headers: one whose every mapped header is among them;
    of several, the one mapping the most headers, then the most recently changed. None when none fits."""
    require(principal, Permission.IMPORT)
    kind_ = _kind(kind)
    keys = sorted({key for key in map(header_key, headers) if key})
    if not keys:
        return None
    fits = col(MappingProfile.header_keys).op("<@")(keys)  # JSONB: every mapped header is among the file's
    stmt = (
        select(MappingProfile)
        .where(MappingProfile.kind == kind_, fits)
        .order_by(
            func.jsonb_array_length(col(MappingProfile.header_keys)).desc(),
            func.coalesce(col(MappingProfile.updated_at), col(MappingProfile.created_at)).desc(),
            col(MappingProfile.id).desc(),
        )
        .limit(1)
    )
    row = session.exec(stmt).first()
    return None if row is None else _view(row)


def _kind(kind: str) -> str:
    value = (kind or "").strip().casefold()
    if value not in IMPORT_KINDS:
        raise ServiceError(f"Unknown import kind '{kind}' (expected one of: {', '.join(IMPORT_KINDS)}).")
    return value


def _name(name: str) -> tuple[str, str]:
    """(the name as typed, trimmed; its key)."""
    text = (name or "").strip()
    if not text:
        raise ServiceError("Give the mapping profile a name.")
    if len(text) > PROFILE_NAME_MAX:
        raise ServiceError(f"A mapping profile name has at most {PROFILE_NAME_MAX} characters ({len(text)} given).")
    return text, name_key(text)


def _mapping(mapping: Mapping[str, str]) -> dict[str, str]:
    """{trimmed header: trimmed field}, refused when a header or field is empty or two headers are one."""
    if not mapping:
        raise ServiceError("The mapping is empty: map at least one column to a field.")
    clean: dict[str, str] = {}
    seen: dict[str, str] = {}  # header_key -> header
    for raw_header, raw_field in mapping.items():
        header = str(raw_header or "").strip()
        field = str(raw_field or "").strip()
        if not header:
            raise ServiceError("A mapped column has no header text.")
        if not field:
            raise ServiceError(f"Column '{header}' is mapped to no field.")
        key = header_key(header)
        if not key:
            raise ServiceError(f"Column '{header}' has no letters or digits: a file's header cannot be matched to it.")
        if key in seen:
            raise ServiceError(
                f"Columns '{seen[key]}' and '{header}' are the same header once case, spaces and punctuation "
                "are ignored: map only one of them."
            )
        seen[key] = header
        clean[header] = field
    return clean


def _header_keys(mapping: Mapping[str, str]) -> list[str]:
    return sorted(header_key(header) for header in mapping)


def _by_name(session: Session, kind: str, key: str, *, for_update: bool = False) -> MappingProfile | None:
    stmt = select(MappingProfile).where(MappingProfile.kind == kind, MappingProfile.name_key == key)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.exec(stmt).first()


def _get(session: Session, profile_id: int) -> MappingProfile:
    stmt = select(MappingProfile).where(MappingProfile.id == profile_id).with_for_update()
    row = session.exec(stmt.execution_options(populate_existing=True)).first()
    if row is None:
        raise NotFound(f"Mapping profile {profile_id} does not exist.")
    return row


def _touch(row: MappingProfile, principal: Principal) -> None:
    row.updated_at = utcnow()
    row.updated_by = principal.actor


def _view(row: MappingProfile) -> ProfileView:
    assert row.id is not None
    return ProfileView(
        id=row.id,
        kind=row.kind,
        name=row.name,
        mapping=dict(row.mapping),
        updated_by=row.updated_by or row.created_by,
        updated_at=row.updated_at or row.created_at,
    )
