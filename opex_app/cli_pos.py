"""`export pos`: the CLI door onto the purchase-order export (`import pos` is the generic `import KIND`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _cmd_export_pos(args: argparse.Namespace) -> int:
    from opex_app.auth.permissions import cli_principal
    from opex_app.cli_common import EXIT_OK, fiscal_year_arg
    from opex_app.db import read_session
    from opex_app.services.po_export import export_pos

    fy = fiscal_year_arg(args.fy)  # a malformed --fy is a usage error (exit 2)
    with read_session() as session:
        result = export_pos(session, cli_principal(), Path(args.out), fy=fy.name if fy else "")
    print(f"exported {result.rows} PO line(s) of {result.fiscal_year or 'every FY'} to {args.out}", file=sys.stderr)
    return EXIT_OK


def register_export(exp_sub: argparse._SubParsersAction) -> None:
    """`export pos OUT.xlsx [--fy FY]`, under the `export` command."""
    out = exp_sub.add_parser("pos", help="export purchase orders, one row per PO line, as a re-importable workbook")
    out.add_argument("out", metavar="OUT.xlsx")
    out.add_argument("--fy", help="only the POs of this fiscal year (of their PO date); default: every FY")
    out.set_defaults(func=_cmd_export_pos)
