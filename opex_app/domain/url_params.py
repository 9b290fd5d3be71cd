"""A page's URL query, made safe to read: what a visitor can type into the address bar reaches the pages'
own parsers only as plain text of a sane length, and page numbers only as small whole numbers.

PostgreSQL refuses text holding NUL (a bound parameter with one fails the whole query), so control characters
are dropped here, once, for every page that keeps its view in the URL, instead of each page guarding each value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MAX_VALUE_LENGTH = 200  # longer than any name, UID or date a page's URL carries
MAX_PAGE = 10**9
MAX_ID = 2**31 - 1  # PostgreSQL integer: a larger id in a query fails it instead of finding nothing
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WHOLE = re.compile(r"[0-9]{1,10}")


def clean_text(value: Any) -> str:
    """`value` as text without control characters, cut to MAX_VALUE_LENGTH."""
    return _CONTROL.sub("", str(value))[:MAX_VALUE_LENGTH]


def query_params(params: Mapping[str, Any]) -> dict[str, str]:
    """The URL's parameters (names and values) as clean text."""
    return {clean_text(key): clean_text(value) for key, value in params.items()}


def page_number(value: Any) -> int:
    """A page number from the URL: ASCII digits only (not '²', '١٢', '-1' or '1e9'), 1 when unreadable, at most
    MAX_PAGE (the listing itself then shows its last page)."""
    text = str(value).strip()
    if not _WHOLE.fullmatch(text):
        return 1
    return min(max(1, int(text)), MAX_PAGE)


def record_id(value: Any) -> int | None:
    """The id in an address like /pos/<id>: ASCII digits within PostgreSQL's integer, else None (not found)."""
    text = str(value)
    if not _WHOLE.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
