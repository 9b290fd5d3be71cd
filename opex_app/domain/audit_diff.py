"""An audit event's {field: [before, after]} put in words people read: field labels, fiscal month labels,
amounts in the reader's number format.

One describer for the audit log page, the line detail's history and the cell history, so a change reads the
same wherever it is shown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from opex_app.domain.budget_fields import MONTH_FIELDS
from opex_app.domain.money import NumberFormat, format_amount

# Fields whose values are money, whatever the entity (months m01..m12 as well).
AMOUNT_FIELDS = frozenset({"total", "amount", "amount_base", "value", "value_base", "pr_amount"})
EMPTY = "(empty)"


@dataclass(frozen=True)
class FieldChange:
    label: str  # 'Apr-26', 'Tower', ...
    before: str
    after: str


def field_label(name: str, labels: Mapping[str, str], month_labels: Sequence[str] = ()) -> str:
    """'m05' -> the FY's label ('Aug-26') when the FY is known, else 'Month 5'; others from `labels`."""
    if name in MONTH_FIELDS:
        index = MONTH_FIELDS.index(name)
        return month_labels[index] if month_labels else f"Month {index + 1}"
    return labels.get(name, name.replace("_", " "))


def shown(name: str, value: Any, number_format: NumberFormat = "indian") -> str:
    """One value as text: amounts grouped in `number_format`, lists joined, nothing as '(empty)'."""
    if value is None or value == "" or value == []:
        return EMPTY
    if name in MONTH_FIELDS or name in AMOUNT_FIELDS:
        try:
            return format_amount(Decimal(str(value)), number_format)
        except InvalidOperation:
            return str(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def describe(
    changes: Mapping[str, Any] | None,
    labels: Mapping[str, str],
    month_labels: Sequence[str] = (),
    number_format: NumberFormat = "indian",
    order: Sequence[str] = (),
) -> list[FieldChange]:
    """Each changed field as a labelled before/after, in `order` first (months in FY order), then by name.

    A value that is not a [before, after] pair (an import's created UIDs are [None, [...]]) is an 'after'."""
    rank = {name: i for i, name in enumerate(order)}
    out: list[FieldChange] = []
    for name in sorted(changes or {}, key=lambda n: (rank.get(n, len(rank)), n)):
        pair = (changes or {})[name]
        before, after = (pair[0], pair[-1]) if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        out.append(
            FieldChange(
                field_label(name, labels, month_labels),
                shown(name, before, number_format),
                shown(name, after, number_format),
            )
        )
    return out
