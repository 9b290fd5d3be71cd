"""The passwords people pick most: a new password on this list is refused, however long it is.

The list is the `passwords` frequency list shipped by the `zxcvbn` package (pinned in requirements.txt; the
Python port of Dropbox's password strength estimator, MIT licence): 30,000 passwords, most common first,
gathered from leaked password dumps. It is read from the package, not copied into this repository, so a new
pin brings a new list. Compared case-insensitively, with surrounding spaces ignored ('Password123 ' is on it).
"""

from __future__ import annotations

from functools import cache


@cache
def common_passwords() -> frozenset[str]:
    """The list, lower-cased; loaded on first use (about 0.8 MB of text), then kept."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def is_common(password: str) -> bool:
    return password.strip().lower() in common_passwords()
