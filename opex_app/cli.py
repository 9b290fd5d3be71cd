"""`python -m opex_app.cli`: the trusted operator door onto the services, for scripts and cron.

No login: what it changes is audited as `cli:<OS user>`. It never imports Reflex.
Exit codes: 0 ok, 1 refused by validation, 2 usage or unreadable input. Errors are one line.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from opex_app.cli_common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, CliError, fiscal_year_arg


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    from opex_app.migrate import upgrade

    upgrade()
    print("database is at the latest schema", file=sys.stderr)
    return EXIT_OK


def _cmd_db_url(args: argparse.Namespace) -> int:
    from opex_app.db import database_url

    print(database_url())
    return EXIT_OK


def _cmd_db_stop_embedded(args: argparse.Namespace) -> int:
    from opex_app.db import stop_embedded_postgres
    from opex_app.settings import get_settings

    stopped = stop_embedded_postgres(get_settings().embedded_pg_dir)
    print("embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL is not running", file=sys.stderr)
    return EXIT_OK


def _cmd_create_user(args: argparse.Namespace) -> int:
    from opex_app.auth.permissions import RoleName, cli_principal
    from opex_app.db import transaction
    from opex_app.services.users import create_user

    try:
        role = RoleName.parse(args.role)
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CliError("no password on standard input", EXIT_USAGE)
    with transaction() as session:
        created = create_user(
            session, cli_principal(), email=args.email, role=role, password=password, full_name=args.name or ""
        )
    print(f"created {created.role.value} {created.email}")
    if created.password:
        print(f"password: {created.password}")
    return EXIT_OK


def _cmd_bootstrap_admin(args: argparse.Namespace) -> int:
    from opex_app.auth.permissions import RoleName, cli_principal
    from opex_app.db import transaction
    from opex_app.services.users import count_users, create_user

    with transaction() as session:
        if count_users(session) > 0:
            print("users already exist; log in with your account (create more with create-user)")
            return EXIT_OK
        created = create_user(
            session, cli_principal(), email=args.email, role=RoleName.ADMIN, full_name="Administrator"
        )
    print(f"admin account created: {created.email}")
    print(f"password (shown once): {created.password}")
    return EXIT_OK


def _cmd_demo_data(args: argparse.Namespace) -> int:
    from opex_app.auth.permissions import cli_principal
    from opex_app.db import transaction
    from opex_app.models._types import utcnow
    from opex_app.services.demo_data import load_demo_data
    from opex_app.services.fiscal_years import current_fiscal_year

    fy = fiscal_year_arg(args.fy) or current_fiscal_year()
    with transaction() as session:
        summary = load_demo_data(session, cli_principal(), fy, utcnow().date())
    if summary.created:
        print(
            f"demo data loaded for {summary.fiscal_year}: {summary.lines} budget lines, "
            f"{summary.purchase_orders} POs, {summary.actuals} actuals"
        )
    else:
        print(f"demo data for {summary.fiscal_year} is already there; nothing changed")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m opex_app.cli", description="OPEX Manager operator commands.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = sub.add_parser("db", help="database schema and the embedded server")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply every pending migration").set_defaults(func=_cmd_db_upgrade)
    db_sub.add_parser("url", help="print the database URL in use (starts the embedded server if needed)").set_defaults(
        func=_cmd_db_url
    )
    db_sub.add_parser("stop-embedded", help="stop the embedded PostgreSQL").set_defaults(func=_cmd_db_stop_embedded)

    user = sub.add_parser("create-user", help="create a user account")
    user.add_argument("email")
    user.add_argument("--role", required=True, help="admin | approver | analyst | viewer (any case)")
    user.add_argument("--name", help="full name shown in the app")
    user.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (otherwise one is generated and printed once)",
    )
    user.set_defaults(func=_cmd_create_user)

    boot = sub.add_parser("bootstrap-admin", help="create the first admin when there are no users yet")
    boot.add_argument("--email", default="admin@opex.local")
    boot.set_defaults(func=_cmd_bootstrap_admin)

    demo = sub.add_parser("demo-data", help="load a believable demo fiscal year (idempotent)")
    demo.add_argument("--fy", help="fiscal year, e.g. FY27 (default: the current one)")
    demo.set_defaults(func=_cmd_demo_data)

    from opex_app import cli_budget, cli_fx, cli_import, cli_profiles

    cli_import.register(sub)
    cli_budget.register(sub)
    cli_profiles.register(sub)
    cli_fx.register(sub)
    return parser


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


def run(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr, format="%(levelname)s %(message)s"
    )
    from opex_app.services.errors import ServiceError
    from opex_app.services.request_ids import new_request_id

    new_request_id()
    handler: Callable[[argparse.Namespace], int] = args.func
    try:
        return handler(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except ServiceError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_REFUSED
    except (OSError, ValueError) as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - the operator gets one line, never a traceback
        print(f"error: {exc.__class__.__name__}: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE


def main() -> None:
    code = run()
    # The work is committed and reported: leave without tearing down the interpreter, which after a large
    # import (hundreds of MB of frames and a thread pool) costs a noticeable fraction of a second.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
