"""`gx admin create --email … --role SUPER_ADMIN`: provision an operator account.

The password is read from a prompt (or, when stdin is not a terminal, from its first line), never
from the command line (it would land in shell history and the process table). There is no
default password anywhere.
"""

from __future__ import annotations

import argparse
import getpass
import sys


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("admin", help="operator accounts")
    actions = p.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create an ACTIVE admin account")
    create.add_argument("--email", required=True)
    create.add_argument("--role", choices=["ADMIN", "SUPER_ADMIN", "PARTNER_API"], default="ADMIN")
    create.add_argument("--first-name", default="GX")
    create.add_argument("--last-name", default="Administrator")
    create.set_defaults(func=run_create)


def read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise SystemExit("passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def _operator() -> str:
    """The operator's login on this host, for the audit record."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        return "unknown"


def run_create(args: argparse.Namespace) -> int:
    from shared.errors import GXError
    from shared.identity.service import create_account

    try:
        row = create_account(
            email=args.email, password=read_password(), role=args.role,
            first_name=args.first_name, last_name=args.last_name,
            provisioned_by=f"cli:{_operator()}",
        )
    except GXError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(f"created {row['role']} {row['email']} ({row['profile_id']})")
    return 0
