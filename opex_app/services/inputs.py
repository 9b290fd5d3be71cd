"""Before-validators for the typed service inputs (`ActualInput`, `PoInput`, ...): what a form or a script
types, read the way the import reads it. One copy, so a form and an import never disagree on '1,23,456.78'."""

from __future__ import annotations

from typing import Any

from opex_app.domain.ingest import amounts


def text_amount(value: Any) -> Any:
    """Text amounts are read by the import's rules ('1,23,456.78', '₹ 1,000', '(500)'); numbers pass through.
    A refused text raises a plain ValueError, whose message pydantic reports."""
    if isinstance(value, str):
        try:
            return amounts.parse_amount(value)
        except amounts.AmountError as exc:
            raise ValueError(str(exc)) from None
    return value


def optional_text_amount(value: Any) -> Any:
    """As `text_amount`, but blank text is None (not given) instead of zero."""
    return None if isinstance(value, str) and not value.strip() else text_amount(value)


def blank_none(value: Any) -> Any:
    """Blank text is None; anything else passes through as given."""
    return None if isinstance(value, str) and not value.strip() else value


def stripped(value: Any) -> Any:
    """Text without surrounding spaces; blank text is None."""
    return blank_none(value.strip()) if isinstance(value, str) else value
