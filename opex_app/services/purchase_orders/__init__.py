"""Purchase orders: create and edit (draft or rejected), the workflow (submit, approve, reject, reopen, close,
cancel) with the approval over-budget warning, and the reads behind the PO pages (list, detail, approvals
inbox, the allocation picker's UID search).

Every function checks its permission first and only flushes: the caller owns the transaction, so a PO, its
lines and its audit event are written together or not at all. Edits and transitions name the `version` the
user saw (optimistic locking, services/locking). The workflow itself is the table in domain/po_workflow.

The modules: `inputs` (what the services are given), `validation` (an input checked against the database),
`editing` (create and update), `transitions` (the workflow and the over-budget check), `queries` (the reads)
returning `views`; `stored` reads the stored PO for all of them and `wording` names its fields for people.
Callers import from here.
"""

from opex_app.services.purchase_orders.editing import create_po, update_po
from opex_app.services.purchase_orders.inputs import PoFilter, PoInput, PoLineInput
from opex_app.services.purchase_orders.queries import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    SEARCH_LIMIT,
    SORT_KEYS,
    get_po,
    list_pos,
    pending_approvals,
    pending_count,
    search_lines,
)
from opex_app.services.purchase_orders.stored import ENTITY
from opex_app.services.purchase_orders.transitions import (
    OverBudget,
    OverrunWarning,
    approval_check,
    approve_po,
    cancel_po,
    close_po,
    reject_po,
    reopen_po,
    submit_po,
)
from opex_app.services.purchase_orders.views import (
    InvoiceView,
    LineChoice,
    PoHistoryEntry,
    PoLineView,
    PoPage,
    PoRow,
    PoView,
)
from opex_app.services.purchase_orders.wording import LABELS, describe_changes, service_months

__all__ = [
    "ENTITY",
    "LABELS",
    "MAX_PAGE_SIZE",
    "PAGE_SIZE",
    "SEARCH_LIMIT",
    "SORT_KEYS",
    "InvoiceView",
    "LineChoice",
    "OverBudget",
    "OverrunWarning",
    "PoFilter",
    "PoHistoryEntry",
    "PoInput",
    "PoLineInput",
    "PoLineView",
    "PoPage",
    "PoRow",
    "PoView",
    "approval_check",
    "approve_po",
    "cancel_po",
    "close_po",
    "create_po",
    "describe_changes",
    "get_po",
    "list_pos",
    "pending_approvals",
    "pending_count",
    "reject_po",
    "reopen_po",
    "search_lines",
    "service_months",
    "submit_po",
    "update_po",
]
