"""`export actuals`: the CLI door onto the actuals export (`import actuals` is the engine's `import KIND`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _cmd_export_actuals(args: argparse.Namespace) -> int:
    from opex_app.auth.permissions import cli_principal
    from opex_app.cli_common import EXIT_OK, fiscal_year_arg
    from opex_app.db import read_session
    from opex_app.services.actuals_export import export_actuals

    fy = fiscal_year_arg(args.fy)
    with read_session() as session:
        result = export_actuals(session, cli_principal(), Path(args.out), fy=fy)
    years = ", ".join(result.fiscal_years) or (fy.name if fy else "no fiscal year")
    print(f"exported {result.rows} actual(s) of {years} to {args.out}", file=sys.stderr)
    return EXIT_OK


def register_export(exp_sub: argparse._SubParsersAction) -> None:
    """Add `export actuals` to the `export` command's subparsers (created by cli_budget.register)."""
    out = exp_sub.add_parser("actuals", help="export actuals, linked or not, as a re-importable workbook")
    out.add_argument("out", metavar="OUT.xlsx")
    out.add_argument("--fy", help="only this fiscal year, e.g. FY27 (default: every fiscal year)")
    out.set_defaults(func=_cmd_export_actuals)
