"""The declarative description of one import kind: its fields, how headers name them, what their
cells hold, which are required, and how rows are keyed. The engine (`reader.read_import`) is code;
a spec is data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

# "rate": an FX rate, read like an amount but to 6 decimals (Decimal(18, 6)).
ValueKind = Literal["text", "amount", "rate", "date", "month", "master", "currency"]


def header_key(text: object) -> str:
    """The key a header is matched on: case-folded letters and digits only ('Cost-Centre' -> 'costcentre')."""
    return "".join(ch for ch in str(text).casefold() if ch.isalnum())


@dataclass(frozen=True)
class FieldSpec:
    """One field of an import: `label` is its canonical header (what exports write), `aliases` the other
    headers accepted (whole text, see `header_key`), `patterns` regular expressions on the header key."""

    name: str
    label: str
    kind: ValueKind
    aliases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    required: bool = False

    def headers(self) -> tuple[str, ...]:
        return (self.label, *self.aliases)


@dataclass(frozen=True)
class ImportSpec:
    """An import kind. `key` fields identify a row's line; with `month_columns` the table may carry one
    column per month (wide layout); `long_fields` (month, amount) name the fields of the long layout, a
    row per (line, month)."""

    kind: str
    noun: str  # what a line is called in messages: 'budget line'
    fields: tuple[FieldSpec, ...]
    key: tuple[str, ...]
    month_columns: bool = False
    long_fields: tuple[str, str] | None = None
    date_order: tuple[tuple[str, str], ...] = ()  # (start, end) date fields: an end before its start is an error
    unique_key: bool = True  # a key twice in the file is an error (False: the write strategy judges repeats)
    _by_key: dict[str, str] = field(init=False, repr=False, compare=False)
    _patterns: tuple[tuple[re.Pattern[str], str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_key: dict[str, str] = {}
        for spec in self.fields:
            for alias in spec.headers():
                by_key.setdefault(header_key(alias), spec.name)
        object.__setattr__(self, "_by_key", by_key)
        patterns = tuple((re.compile(p), spec.name) for spec in self.fields for p in spec.patterns)
        object.__setattr__(self, "_patterns", patterns)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields)

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def label(self, name: str) -> str:
        return self.field(name).label

    def match(self, text: object) -> str | None:
        """The field a header text names, by alias (whole text) or pattern; None when it names none."""
        key = header_key(text)
        if not key:
            return None
        found = self._by_key.get(key)
        if found is None:
            found = next((name for pattern, name in self._patterns if pattern.match(key)), None)
        return found

    def resolve_field(self, text: str) -> str | None:
        """A field named by its code name ('budget_head') or by any of its headers ('Budget Head')."""
        cleaned = text.strip()
        if cleaned in self.names:
            return cleaned
        return self.match(cleaned)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields if spec.required)

    def of_kind(self, *kinds: ValueKind) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields if spec.kind in kinds)

    def header_ok(self, found: set[str], month_count: int) -> bool:
        """The header rule: every required field, and (when the kind has months) month columns or the
        long layout's month and amount columns."""
        if not set(self.required) <= found:
            return False
        if not self.month_columns and self.long_fields is None:
            return True
        long_ok = self.long_fields is not None and set(self.long_fields) <= found
        return month_count > 0 or long_ok

    def looked_for(self) -> str:
        """What a header row must have, worded for a refusal."""
        parts = []
        for name in self.required:
            spec = self.field(name)
            heads = ", ".join(f"'{h}'" for h in spec.headers()[:4])
            parts.append(f"a {spec.label} column ({heads})")
        if self.month_columns:
            months = "month columns (e.g. 'Apr', 'Apr-26', 'April 2026', '04/2026' or a date)"
            if self.long_fields:
                month, amount = (self.label(name) for name in self.long_fields)
                months += f", or a {month} and an {amount} column (one row per month)"
            parts.append(months)
        return " and ".join(parts)
