"""`import KIND FILE`: the CLI door onto the import pipeline, for every kind of the engine.

With --json exactly one object is printed on stdout in every case (status committed, dry-run, rejected
or unreadable); human output otherwise. Exit 0 committed or dry-run, 1 rejected, 2 unreadable or usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HUMAN_ERRORS = 200


def _print_human(result: Any) -> None:
    out = sys.stdout
    print(
        f"{result.status}: {result.fiscal_year or '-'} from sheet '{result.sheet}' (header row {result.header_row})",
        file=out,
    )
    print(
        f"rows: {result.rows_total} total, {result.rows_accepted} accepted, {result.rows_rejected} rejected, "
        f"{result.rows_skipped} skipped",
        file=out,
    )
    print(
        f"lines: {result.lines_created} new, {result.lines_updated} changed, {result.lines_unchanged} unchanged",
        file=out,
    )
    for kind, names in result.masters_new.items():
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        print(f"new {kind.replace('_', ' ')} ({len(names)}): {shown}", file=out)
    if result.missing_count:
        print(f"{result.missing_count} line(s) of {result.fiscal_year} are not in the file and were kept", file=out)
    for title, items in (("warning", result.warnings), ("error", result.errors)):
        for item in items[:HUMAN_ERRORS]:
            print(
                f"{title}: {item.ref}: {item.message}" if item.cell or item.sheet else f"{title}: {item.message}",
                file=out,
            )
        if len(items) > HUMAN_ERRORS:
            print(f"... and {len(items) - HUMAN_ERRORS} more ({title}s: use --json for all)", file=out)
    print(result.message, file=out)


def _emit(args: argparse.Namespace, result: Any) -> int:
    from opex_app.cli_common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE

    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    elif result.status in ("rejected", "unreadable") and not result.rows_total:
        print(f"error: {result.message}", file=sys.stderr)
    else:
        _print_human(result)
    return {"rejected": EXIT_REFUSED, "unreadable": EXIT_USAGE}.get(result.status, EXIT_OK)


def _cmd_import(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from opex_app.cli_common import CliError, fiscal_year_arg
    from opex_app.domain.ingest import WorkbookRefused, WorkbookUnreadable
    from opex_app.domain.ingest.headers import parse_mapping
    from opex_app.domain.ingest.specs import get_spec
    from opex_app.services.imports.reading import read_file
    from opex_app.services.imports.result import ImportResult

    kind = args.import_kind
    path = Path(args.file)
    try:
        fy = fiscal_year_arg(args.fy)
        mapping = parse_mapping(get_spec(kind), args.map or [])
        if not path.is_file():
            return _emit(args, ImportResult.refused(kind, "unreadable", f"{path}: no such file"))
        data = path.read_bytes()
        with ThreadPoolExecutor(max_workers=1) as pool:
            # Parse the file while the database layer is being imported (a large file takes seconds).
            reading = None
            if not args.profile:
                reading = pool.submit(
                    read_file, data, kind, file_name=path.name, fiscal_year=fy, mapping=mapping, sheet=args.sheet
                )
            from opex_app.auth.permissions import cli_principal
            from opex_app.db import transaction
            from opex_app.services.imports import ImportOptions, run_import

            if args.profile:
                mapping = _profile_mapping(kind, args.profile) | mapping
            options = ImportOptions(
                fiscal_year=fy,
                dry_run=args.dry_run,
                skip_invalid=args.skip_invalid,
                strict_masters=args.strict_masters,
                mapping=mapping,
                sheet=args.sheet,
            )
            parsed = reading.result() if reading else None
        with transaction() as session:
            result = run_import(
                session, cli_principal(), kind, data, file_name=path.name, options=options, parsed=parsed
            )
    except CliError as exc:
        return _emit(args, ImportResult.refused(kind, "unreadable" if exc.code == 2 else "rejected", str(exc)))
    except ValueError as exc:  # a bad --map
        return _emit(args, ImportResult.refused(kind, "rejected", str(exc)))
    except WorkbookUnreadable as exc:
        return _emit(args, ImportResult.refused(kind, "unreadable", str(exc)))
    except WorkbookRefused as exc:
        return _emit(args, ImportResult.refused(kind, "rejected", str(exc), exc.closest))
    return _emit(args, result)


def _profile_mapping(kind: str, name: str) -> dict[str, str]:
    from opex_app.auth.permissions import cli_principal
    from opex_app.cli_common import CliError
    from opex_app.db import read_session
    from opex_app.domain.ingest.headers import check_mapping
    from opex_app.domain.ingest.specs import get_spec
    from opex_app.services.mapping_profiles import get_profile

    with read_session() as session:
        profile = get_profile(session, cli_principal(), kind=kind, name=name)
    if profile is None:
        raise CliError(f"no {kind} mapping profile named '{name}' (list them with: profiles list --kind {kind})")
    return check_mapping(get_spec(kind), profile.mapping)


def register(sub: argparse._SubParsersAction) -> None:
    from opex_app.domain.ingest.specs import SPECS

    imp = sub.add_parser("import", help="import a file (budget, ...)")
    imp_sub = imp.add_subparsers(dest="import_kind", required=True, metavar="KIND")
    for kind, spec in SPECS.items():
        parser = imp_sub.add_parser(kind, help=f"import {spec.noun}s from a workbook or CSV")
        parser.add_argument("file", metavar="FILE", help=".xlsx, .xlsm, .xlsb, .xls, .ods or .csv")
        parser.add_argument("--fy", help="fiscal year, e.g. FY27 (needed when the months carry no year)")
        parser.add_argument("--dry-run", action="store_true", help="validate and show what would change; write nothing")
        parser.add_argument("--json", action="store_true", help="print one JSON object on stdout (logs go to stderr)")
        parser.add_argument("--skip-invalid", action="store_true", help="commit the valid rows, report the rest")
        parser.add_argument(
            "--strict-masters",
            action="store_true",
            help="refuse unknown masters (tower, vendor, ...) instead of creating them",
        )
        parser.add_argument(
            "--map",
            action="append",
            metavar="HEADER=FIELD",
            help="read the column HEADER as FIELD (a field name or its header); repeatable",
        )
        parser.add_argument("--sheet", metavar="NAME", help="the sheet to read (default: the first with a table)")
        parser.add_argument("--profile", metavar="NAME", help="apply a saved mapping profile (--map adds to it)")
        parser.set_defaults(func=_cmd_import)
