"""Normalisation of master-data names: 'Cloud  Services ' and 'cloud services' are one vendor."""

from __future__ import annotations

import re

_SPACES = re.compile(r"\s+")


def clean_name(name: str) -> str:
    """Trim and collapse repeated white space; keeps the user's capitalisation for display."""
    return _SPACES.sub(" ", name).strip()


def name_key(name: str) -> str:
    """The key names are matched and kept unique on: cleaned and case-folded."""
    return clean_name(name).casefold()


def contains_pattern(query: str) -> str:
    """A LIKE/ILIKE pattern (with ESCAPE '\\') matching `query` anywhere; its own % and _ are taken literally."""
    escaped = query.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
