"""`export variance`: the CLI door onto the variance report export (issue 8).

export variance OUT.xlsx --fy FY27 [--level tower[,head,...]] [--period fy|ytd|q1..q4|Apr-26] [--as-of DATE]
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opex_app.domain.analytics import Level


def parse_levels(text: str) -> list[Level]:
    """`tower,head,...` -> the levels in the order given; unknown or repeated names are a usage error."""
    from opex_app.cli_common import EXIT_USAGE, CliError
    from opex_app.domain.analytics import LEVEL_NAMES  # imported here: polars only when the command runs

    levels: list[Level] = []
    for name in (part.strip().lower() for part in text.split(",")):
        if name not in LEVEL_NAMES:
            raise CliError(f"unknown level '{name}' (expected: {', '.join(LEVEL_NAMES)})", EXIT_USAGE)
        if LEVEL_NAMES[name] in levels:
            raise CliError(f"level '{name}' is asked twice", EXIT_USAGE)
        levels.append(LEVEL_NAMES[name])
    return levels


def _cmd_export_variance(args: argparse.Namespace) -> int:
    from opex_app.auth.permissions import cli_principal
    from opex_app.cli_common import EXIT_OK, EXIT_USAGE, CliError, fiscal_year_arg
    from opex_app.db import read_session
    from opex_app.domain.analytics import parse_period
    from opex_app.services.analytics import export_variance

    fy = fiscal_year_arg(args.fy)
    assert fy is not None  # --fy is required
    levels = parse_levels(args.level)
    try:
        period = parse_period(args.period, fy)
        as_of = date.fromisoformat(args.as_of) if args.as_of else date.today()
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    with read_session() as session:
        result = export_variance(
            session, cli_principal(), Path(args.out), fy=fy, levels=levels, period=period, as_of=as_of
        )
    print(
        f"exported the {result.period} variance report ({', '.join(result.levels)}; {result.rows} row(s), "
        f"as of {as_of.isoformat()}) to {args.out}",
        file=sys.stderr,
    )
    return EXIT_OK


def register_export(exp_sub: argparse._SubParsersAction) -> None:
    """Add `export variance` to the `export` command's subparsers (created by cli_budget.register)."""
    out = exp_sub.add_parser("variance", help="export the variance report, one sheet per level")
    out.add_argument("out", metavar="OUT.xlsx")
    out.add_argument("--fy", required=True, help="fiscal year, e.g. FY27")
    out.add_argument(
        "--level",
        default="tower",
        help="levels, comma-separated, one sheet each: line, tower, head (budget_head), cost_centre, vendor "
        "(default: tower)",
    )
    out.add_argument("--period", default="fy", help="fy, ytd, q1..q4 or a month such as Apr-26 (default: fy)")
    out.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (default: today)")
    out.set_defaults(func=_cmd_export_variance)
