"""`profiles list|rename|delete`: the CLI door onto the saved column mappings of the import engine.

`profiles list` prints one tab-separated line per profile: kind, name, then HEADER=FIELD pairs
(headers sorted case-insensitively, white space inside a header shown as one space), so scripts can cut it.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlmodel import Session

    from opex_app.services.mapping_profiles import ProfileView


def _kind_arg(text: str) -> str:
    """An import kind given on the command line (any case); an unknown one is a usage error (exit 2)."""
    from opex_app.cli_common import EXIT_USAGE, CliError
    from opex_app.services.mapping_profiles import IMPORT_KINDS

    kind = text.strip().casefold()
    if kind not in IMPORT_KINDS:
        raise CliError(f"unknown import kind '{text}' (expected one of: {', '.join(IMPORT_KINDS)})", EXIT_USAGE)
    return kind


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _cmd_list(args: argparse.Namespace) -> int:
    from opex_app.auth.permissions import cli_principal
    from opex_app.cli_common import EXIT_OK
    from opex_app.db import read_session
    from opex_app.services.mapping_profiles import IMPORT_KINDS, list_profiles

    kinds = [_kind_arg(args.kind)] if args.kind else list(IMPORT_KINDS)
    with read_session() as session:
        profiles = [p for kind in kinds for p in list_profiles(session, cli_principal(), kind=kind)]
    for profile in profiles:
        pairs = [
            f"{_one_line(header)}={field}"
            for header, field in sorted(profile.mapping.items(), key=lambda item: item[0].casefold())
        ]
        print("\t".join([profile.kind, _one_line(profile.name), *pairs]))
    if not profiles:
        print("no mapping profiles", file=sys.stderr)
    return EXIT_OK


def _find(session: Session, kind: str, name: str) -> ProfileView:
    from opex_app.auth.permissions import cli_principal
    from opex_app.cli_common import EXIT_REFUSED, CliError
    from opex_app.services.mapping_profiles import get_profile

    profile = get_profile(session, cli_principal(), kind=kind, name=name)
    if profile is None:
        raise CliError(f"no {kind} mapping profile named '{name}'", EXIT_REFUSED)
    return profile


def _cmd_rename(args: argparse.Namespace) -> int:
    from opex_app.auth.permissions import cli_principal
    from opex_app.cli_common import EXIT_OK
    from opex_app.db import transaction
    from opex_app.services.mapping_profiles import rename_profile

    kind = _kind_arg(args.kind)
    with transaction() as session:
        profile = _find(session, kind, args.old_name)
        renamed = rename_profile(session, cli_principal(), profile_id=profile.id, new_name=args.new_name)
    print(f"renamed {kind} mapping profile '{profile.name}' to '{renamed.name}'")
    return EXIT_OK


def _cmd_delete(args: argparse.Namespace) -> int:
    from opex_app.auth.permissions import cli_principal
    from opex_app.cli_common import EXIT_OK
    from opex_app.db import transaction
    from opex_app.services.mapping_profiles import delete_profile

    kind = _kind_arg(args.kind)
    with transaction() as session:
        profile = _find(session, kind, args.name)
        delete_profile(session, cli_principal(), profile_id=profile.id)
    print(f"deleted {kind} mapping profile '{profile.name}'")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    profiles = sub.add_parser("profiles", help="saved column mappings of the import (mapping profiles)")
    profiles_sub = profiles.add_subparsers(dest="profiles_command", required=True, metavar="ACTION")
    kinds = "budget | pos | actuals | fx"

    listing = profiles_sub.add_parser("list", help="one tab-separated line per profile: KIND NAME HEADER=FIELD...")
    listing.add_argument("--kind", help=f"only this import kind ({kinds})")
    listing.set_defaults(func=_cmd_list)

    rename = profiles_sub.add_parser("rename", help="rename a profile")
    rename.add_argument("kind", metavar="KIND", help=kinds)
    rename.add_argument("old_name", metavar="OLD_NAME")
    rename.add_argument("new_name", metavar="NEW_NAME")
    rename.set_defaults(func=_cmd_rename)

    delete = profiles_sub.add_parser("delete", help="delete a profile")
    delete.add_argument("kind", metavar="KIND", help=kinds)
    delete.add_argument("name", metavar="NAME")
    delete.set_defaults(func=_cmd_delete)
