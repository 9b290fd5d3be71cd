"""`export budget` and `export template`: the CLI doors onto the budget export services."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _cmd_export_budget(args: argparse.Namespace) -> int:
    from opex_app.auth.permissions import cli_principal
    from opex_app.cli_common import EXIT_OK
    from opex_app.db import read_session
    from opex_app.services.budget_export import export_budget
    from opex_app.services.budget_query import BudgetFilter

    flt = BudgetFilter(fy=args.fy or "", tower=args.tower or "")
    with read_session() as session:
        result = export_budget(session, cli_principal(), Path(args.out), flt)
    print(f"exported {result.rows} line(s) of {result.fiscal_year} to {args.out}", file=sys.stderr)
    return EXIT_OK


def _cmd_export_template(args: argparse.Namespace) -> int:
    from opex_app.auth.permissions import cli_principal
    from opex_app.cli_common import EXIT_OK, fiscal_year_arg
    from opex_app.db import read_session
    from opex_app.services.budget_export import template
    from opex_app.services.fiscal_years import current_fiscal_year

    fy = fiscal_year_arg(args.fy) or current_fiscal_year()
    with read_session() as session:
        template(session, cli_principal(), Path(args.out), fy)
    print(f"wrote the {fy.name} import template to {args.out}", file=sys.stderr)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    exp = sub.add_parser("export", help="export a workbook")
    exp_sub = exp.add_subparsers(dest="export_kind", required=True, metavar="KIND")
    out = exp_sub.add_parser("budget", help="export budget lines as a formatted, re-importable workbook")
    out.add_argument("out", metavar="OUT.xlsx")
    out.add_argument("--fy", help="fiscal year (default: the latest FY that has lines)")
    out.add_argument("--tower", help="only this tower")
    out.set_defaults(func=_cmd_export_budget)
    tpl = exp_sub.add_parser("template", help="the blank import template, with drop-downs of the known masters")
    tpl.add_argument("out", metavar="OUT.xlsx")
    tpl.add_argument("--fy", help="fiscal year of the month headers (default: the current one)")
    tpl.set_defaults(func=_cmd_export_template)
    from opex_app import cli_actuals

    cli_actuals.register_export(exp_sub)
    from opex_app import cli_pos

    cli_pos.register_export(exp_sub)
    from opex_app import cli_variance

    cli_variance.register_export(exp_sub)
