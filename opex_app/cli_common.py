"""What every CLI command shares: exit codes and the one-line error they raise.

Kept apart from cli.py so that commands raise the same class the runner catches even when cli.py
runs as __main__ (`python -m opex_app.cli`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opex_app.domain.fiscal import FiscalYear

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """Stop the command: print `error: <message>` on stderr and exit with `code`."""

    def __init__(self, message: str, code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.code = code


def fiscal_year_arg(text: str | None) -> FiscalYear | None:
    """A `--fy` value ('FY27', '2027') read with the configured start month; None when not given.

    A malformed value is a usage error (exit 2)."""
    if not text:
        return None
    from opex_app.domain.fiscal import parse_fiscal_year
    from opex_app.settings import get_settings

    try:
        return parse_fiscal_year(text, get_settings().fy_start_month)
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
