"""What every CLI command shares: exit codes and the one-line error they raise.

Kept apart from cli.py so that commands raise the same class the runner catches even when cli.py
runs as __main__ (`python -m opex_app.cli`).
"""

from __future__ import annotations

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """Stop the command: print `error: <message>` on stderr and exit with `code`."""

    def __init__(self, message: str, code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.code = code
