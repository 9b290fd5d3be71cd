"""`import budget` and `export budget`: the CLI doors onto the budget import and export services."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _print_human(result) -> None:
    out = sys.stdout
    print(f"{result.status}: {result.fiscal_year} from sheet '{result.sheet}'", file=out)
    print(
        f"rows: {result.rows_total} total, {result.rows_accepted} accepted, {result.rows_rejected} rejected", file=out
    )
    print(
        f"lines: {result.lines_created} new, {result.lines_updated} changed, {result.lines_unchanged} unchanged",
        file=out,
    )
    for kind, names in result.masters_new.items():
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        print(f"new {kind.replace('_', ' ')} ({len(names)}): {shown}", file=out)
    if result.unknown_columns:
        print(f"ignored columns: {', '.join(result.unknown_columns)}", file=out)
    if result.missing_count:
        print(f"{result.missing_count} line(s) of {result.fiscal_year} are not in the file and were kept", file=out)
    for error in result.errors[:200]:
        print(f"{error.sheet}!{error.cell}: {error.column}: {error.message}", file=out)
    if len(result.errors) > 200:
        print(f"... and {len(result.errors) - 200} more errors (use --json for all)", file=out)
    print(result.message, file=out)


def _cmd_import_budget(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from opex_app.cli_common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, CliError, fiscal_year_arg
    from opex_app.domain.ingest.budget_reader import WorkbookRefused, WorkbookUnreadable
    from opex_app.services.import_reading import read_budget_file

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{path}: no such file", EXIT_USAGE)
    fy = fiscal_year_arg(args.fy)
    data = path.read_bytes()
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            # Parse the workbook while the database layer is being imported (a large file takes seconds).
            reading = pool.submit(read_budget_file, data, file_name=path.name, fiscal_year=fy)
            from opex_app.auth.permissions import cli_principal
            from opex_app.db import transaction
            from opex_app.services.budget_import import ImportOptions, import_budget

            options = ImportOptions(
                fiscal_year=fy, dry_run=args.dry_run, skip_invalid=args.skip_invalid, strict_masters=args.strict_masters
            )
            parsed = reading.result()
        with transaction() as session:
            result = import_budget(session, cli_principal(), data, file_name=path.name, options=options, parsed=parsed)
    except WorkbookUnreadable as exc:
        raise CliError(f"{path.name}: {exc}", EXIT_USAGE) from None
    except WorkbookRefused as exc:
        raise CliError(f"{path.name}: {exc}", EXIT_REFUSED) from None
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        _print_human(result)
    return EXIT_REFUSED if result.status == "rejected" else EXIT_OK


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
    imp = sub.add_parser("import", help="import a workbook")
    imp_sub = imp.add_subparsers(dest="import_kind", required=True, metavar="KIND")
    budget = imp_sub.add_parser("budget", help="import a budget workbook (upsert by FY and UID; never deletes)")
    budget.add_argument("file", metavar="FILE", help=".xlsx workbook")
    budget.add_argument("--fy", help="fiscal year, e.g. FY27 (needed when the month headers carry no year)")
    budget.add_argument("--dry-run", action="store_true", help="validate and show what would change; write nothing")
    budget.add_argument("--json", action="store_true", help="print one JSON object on stdout (logs go to stderr)")
    budget.add_argument("--skip-invalid", action="store_true", help="commit the valid rows, report the rest")
    budget.add_argument(
        "--strict-masters",
        action="store_true",
        help="refuse unknown towers/heads/cost centres/vendors/entities instead of creating them",
    )
    budget.set_defaults(func=_cmd_import_budget)

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
