"""Merge a duplicate master into its survivor (e.g. 'Vendor 001 Ltd' into 'Vendor 001 Ltd.').

In the caller's one transaction, one set-based statement per referring column (masters_admin.REFERENCES)
moves every reference from the duplicate to the survivor, bumps each moved row's version (an editor
opened before the merge then gets a conflict instead of writing the old vendor back) and writes one audit
event per moved row ({kind: [duplicate, survivor]}, so a line's history shows it). Variance comments follow
the label. The duplicate is then deactivated and points at the survivor (`merged_into_id`), so imports
that still spell its name land on the survivor; it is not deleted: masters never are (migration 0002),
and the audit trail keeps its id and name. Reports read names by id, so they show the survivor at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.services import audit
from opex_app.services.errors import ServiceError
from opex_app.services.masters import master_model
from opex_app.services.masters_admin import KIND_LABELS, REFERENCES, get_master, move_comments
from opex_app.services.request_ids import current_request_id

SHOWN_CLASHES = 5


@dataclass(frozen=True)
class MergeResult:
    duplicate: str
    survivor: str
    moved: dict[str, int]  # {table: rows moved}
    comments_moved: int

    @property
    def total_moved(self) -> int:
        return sum(self.moved.values())


def _refuse_invoice_clashes(session: Session, duplicate_id: int, survivor_id: int) -> None:
    """An invoice number is unique per vendor: the merge is refused where both vendors have the same one."""
    clashes = (
        session.execute(
            text("""
        SELECT DISTINCT d.invoice_number FROM actual d JOIN actual s ON s.invoice_number = d.invoice_number
        WHERE d.vendor_id = :dup AND s.vendor_id = :survivor ORDER BY 1 LIMIT :n
        """),
            {"dup": duplicate_id, "survivor": survivor_id, "n": SHOWN_CLASHES + 1},
        )
        .scalars()
        .all()
    )
    if clashes:
        shown = ", ".join(clashes[:SHOWN_CLASHES]) + (", …" if len(clashes) > SHOWN_CLASHES else "")
        raise ServiceError(
            f"both vendors have invoices numbered {shown}: an invoice number is unique per vendor, so these "
            "would clash. Correct or remove those invoices first; nothing was merged."
        )


def _move(
    session: Session, principal: Principal, kind: str, table: str, column: str, names: dict[str, object]
) -> list[int]:
    """Move one referring column's rows; returns their ids. `table`/`column` come from REFERENCES, not input."""
    rows = (
        session.execute(
            text(f"""
        WITH moved AS (
            UPDATE {table} SET {column} = :survivor_id, version = version + 1, updated_at = now(), updated_by = :actor
            WHERE {column} = :duplicate_id
            RETURNING id
        ), audited AS (
            INSERT INTO audit_event (at, actor, action, entity, entity_id, changes, request_id)
            SELECT now(), :actor, 'merge_master', :table, id::text,
                   jsonb_build_object(CAST(:kind AS text),
                                      jsonb_build_array(CAST(:duplicate AS text), CAST(:survivor AS text))),
                   :request_id
            FROM moved
        )
        SELECT id FROM moved ORDER BY id
        """),
            {**names, "actor": principal.actor, "table": table, "kind": kind, "request_id": current_request_id()},
        )
        .scalars()
        .all()
    )
    return list(rows)


def merge_masters(
    *, session: Session, principal: Principal, kind: str, duplicate_id: int, survivor_id: int
) -> MergeResult:
    """Move every reference of `duplicate_id` to `survivor_id` (same kind), then retire the duplicate."""
    require(principal, Permission.MANAGE_MASTERS)
    if duplicate_id == survivor_id:
        raise ServiceError("choose two different masters to merge")
    # lock both rows, lower id first, so two merges of the same pair cannot deadlock
    first, second = sorted((duplicate_id, survivor_id))
    rows = {
        first: get_master(session, kind, first, for_update=True),
        second: get_master(session, kind, second, for_update=True),
    }
    duplicate, survivor = rows[duplicate_id], rows[survivor_id]
    label = KIND_LABELS[kind].lower()
    if not survivor.is_active:
        raise ServiceError(f"'{survivor.name}' is inactive: reactivate it before merging another {label} into it")
    if duplicate.merged_into_id is not None:
        raise ServiceError(f"'{duplicate.name}' was already merged")
    if kind == "vendor":
        _refuse_invoice_clashes(session, duplicate_id, survivor_id)
    dup_name, surv_name, was_active = duplicate.name, survivor.name, duplicate.is_active
    names = {"duplicate_id": duplicate_id, "survivor_id": survivor_id, "duplicate": dup_name, "survivor": surv_name}
    moved_ids = {table: _move(session, principal, kind, table, column, names) for table, column in REFERENCES[kind]}
    comments = move_comments(session, kind, dup_name, surv_name)
    _retire(session, kind, duplicate_id, survivor_id)
    session.expire(duplicate)
    moved = {table: len(ids) for table, ids in moved_ids.items()}
    changes = {
        "merged_into": [None, surv_name],
        "is_active": [was_active, False],
        "moved": moved,
        "rows": moved_ids,
        "variance_comments_moved": comments,
    }
    audit.record(session, principal, action="merge", entity=kind, entity_id=duplicate_id, changes=changes)
    audit.record(
        session,
        principal,
        action="merge_in",
        entity=kind,
        entity_id=survivor_id,
        changes={"merged_from": [None, dup_name], "moved": moved},
    )
    return MergeResult(dup_name, surv_name, moved, comments)


def _retire(session: Session, kind: str, duplicate_id: int, survivor_id: int) -> None:
    """Deactivate the duplicate and point it, and anything merged into it before, at the survivor."""
    table = str(master_model(kind).__tablename__)
    session.execute(
        text(
            f"UPDATE {table} SET is_active = false, merged_into_id = :survivor WHERE id = :dup OR merged_into_id = :dup"
        ),
        {"survivor": survivor_id, "dup": duplicate_id},
    )
