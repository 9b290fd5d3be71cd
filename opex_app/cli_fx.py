"""`fx set | list | import`: FX rates from the command line, through the same services as the admin page.

`fx set USD 83.25 --from 2026-04-01` records a rate (a second rate of the same date is a correction: a new
row, audited with the rate it replaces); `fx list [CUR]` shows the rate in force per currency and, with
CUR, its history; `fx import FILE` is `import fx FILE` (the one import pipeline, same flags and JSON).
"""

from __future__ import annotations

import argparse
from datetime import date

from opex_app.cli_common import EXIT_OK, EXIT_USAGE, CliError


def _date_arg(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CliError(f"{option} expects a date like 2026-04-01, not '{text}'", EXIT_USAGE) from None


def _cmd_set(args: argparse.Namespace) -> int:
    from opex_app.auth.permissions import cli_principal
    from opex_app.db import transaction
    from opex_app.services import fx

    day = _date_arg(args.effective_from, "--from")
    with transaction() as session:
        before = fx.stored_rate(session, args.currency, day)
        row = fx.set_rate(session, cli_principal(), currency=args.currency, rate=args.rate, effective_from=day)
        corrects = f" (corrects {fx.shown_rate(before.rate_to_base)})" if before is not None else ""
        done = f"{row.currency_code} {fx.shown_rate(row.rate_to_base)} from {day.isoformat()} recorded{corrects}"
    print(done)  # once committed
    return EXIT_OK


def _cmd_list(args: argparse.Namespace) -> int:
    from opex_app.auth.permissions import cli_principal
    from opex_app.db import read_session
    from opex_app.services import fx

    as_of = _date_arg(args.as_of, "--as-of") if args.as_of else None
    with read_session() as session:
        listing = fx.list_rates(session, cli_principal(), args.currency, as_of=as_of)
    if not listing.current:
        print("no FX rates recorded")
        return EXIT_OK
    print(f"rates in force on {listing.as_of.isoformat()} (units of base currency per unit)")
    print(f"{'currency':<9}{'rate':>16}  {'from':<11} {'set by':<28} {'set at':<17} next change")
    for current in listing.current:
        rate = current.rate
        shown = fx.shown_rate(rate.rate) if rate else "-"
        start = rate.effective_from.isoformat() if rate else "-"
        by = rate.created_by if rate else ""
        at = rate.created_at.strftime("%Y-%m-%d %H:%M") if rate else ""
        upcoming = current.next_from.isoformat() if current.next_from else ""
        print(f"{current.currency:<9}{shown:>16}  {start:<11} {by:<28} {at:<17} {upcoming}".rstrip())
    if args.currency and not listing.history:
        print(f"no {args.currency.strip().upper()} rates recorded")
    elif args.currency:
        print(f"history of {listing.history[0].currency}, newest first:")
        print(f"{'from':<11}{'rate':>16}  {'set by':<28} set at")
        for row in listing.history:
            note = "corrected" if row.corrected else ""
            line = (
                f"{row.effective_from.isoformat():<11}{fx.shown_rate(row.rate):>16}  {row.created_by:<28} "
                f"{row.created_at.strftime('%Y-%m-%d %H:%M'):<17} {note}"
            )
            print(line.rstrip())
    return EXIT_OK


def _cmd_import(args: argparse.Namespace) -> int:
    from opex_app import cli_import

    return cli_import._cmd_import(args)


def register(sub: argparse._SubParsersAction) -> None:
    fx = sub.add_parser("fx", help="FX rates: set, list, import")
    fx_sub = fx.add_subparsers(dest="fx_command", required=True, metavar="ACTION")

    set_ = fx_sub.add_parser("set", help="record a rate (units of base currency per unit) from a date")
    set_.add_argument("currency", help="ISO 4217 code, e.g. USD")
    set_.add_argument("rate", help="e.g. 83.25 (up to 6 decimals)")
    set_.add_argument("--from", dest="effective_from", required=True, metavar="DATE", help="effective from, YYYY-MM-DD")
    set_.set_defaults(func=_cmd_set)

    list_ = fx_sub.add_parser("list", help="the rate in force per currency; with CUR, its history too")
    list_.add_argument("currency", nargs="?", metavar="CUR")
    list_.add_argument("--as-of", metavar="DATE", help="the date the rates in force are shown for (default today)")
    list_.set_defaults(func=_cmd_list)

    imp = fx_sub.add_parser("import", help="import rates from a workbook or CSV (Currency, Rate, Effective From)")
    imp.add_argument("file", metavar="FILE", help=".xlsx, .xlsm, .xlsb, .xls, .ods or .csv")
    imp.add_argument("--dry-run", action="store_true", help="validate and show what would change; write nothing")
    imp.add_argument("--json", action="store_true", help="print one JSON object on stdout (logs go to stderr)")
    imp.add_argument("--skip-invalid", action="store_true", help="commit the valid rows, report the rest")
    imp.add_argument(
        "--map",
        action="append",
        metavar="HEADER=FIELD",
        help="read the column HEADER as FIELD (a field name or its header); repeatable",
    )
    imp.add_argument("--sheet", metavar="NAME", help="the sheet to read (default: the first with a table)")
    # What `import KIND` reads and FX does not have: one kind, no FY, no masters, no profile.
    imp.set_defaults(func=_cmd_import, import_kind="fx", fy=None, strict_masters=False, profile=None)
