"""The ``serve``, ``user`` and ``token`` command groups of the ``walmart`` command.

``walmart serve [--port] [--host]`` runs the Panel server (see :mod:`walmart_lib.service.server`);
``walmart user add NAME`` adds a user (or resets a password) in the ``WALMART_AUTH`` credentials
file; ``walmart token create [--user NAME]`` prints a new API token once.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from walmart_lib.config import get_settings

__all__ = ["register"]


def _auth_file(args: argparse.Namespace) -> Path | None:
    path = args.auth_file or get_settings().auth_file
    if path is None:
        print(
            "no credentials file: set WALMART_AUTH=/path/to/auth.json (or pass --auth-file)",
            file=sys.stderr,
        )
    return Path(path) if path else None


def _cmd_serve(args: argparse.Namespace) -> int:
    from walmart_lib.service.server import ServeError, run_server

    settings = get_settings()
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    try:
        return run_server(settings, host, port)
    except ServeError as exc:
        print(f"walmart serve: {exc}", file=sys.stderr)
        return 2


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("the passwords differ")
    return first


def _cmd_user_add(args: argparse.Namespace) -> int:
    from walmart_lib.service.auth import AuthError, CredentialStore

    path = _auth_file(args)
    if path is None:
        return 2
    try:
        password = _read_password(args)
        is_new = CredentialStore(path).add_user(args.name, password)
    except (AuthError, ValueError) as exc:
        print(f"walmart user add: {exc}", file=sys.stderr)
        return 2
    print(f"{'added' if is_new else 'updated'} user {args.name} in {path}")
    return 0


def _cmd_token_create(args: argparse.Namespace) -> int:
    from walmart_lib.service.auth import AuthError, CredentialStore

    path = _auth_file(args)
    if path is None:
        return 2
    store = CredentialStore(path)
    user = args.user
    if user is None:
        users = store.users
        if len(users) != 1:
            print(
                "walmart token create: name the user with --user "
                f"(the file has {len(users)} users)",
                file=sys.stderr,
            )
            return 2
        user = users[0]
    try:
        token = store.create_token(user)
    except AuthError as exc:
        print(f"walmart token create: {exc}", file=sys.stderr)
        return 2
    # The token itself goes to stdout alone so scripts can capture it; it is not stored.
    print(token)
    print(f"API token for {user}; it is shown only once.", file=sys.stderr)
    return 0


def register(subparsers: Any) -> None:
    """Add ``serve``, ``user`` and ``token`` to the ``walmart`` command."""
    p = subparsers.add_parser("serve", help="run the Panel server (dashboards + HTTP API)")
    p.add_argument("--port", type=int, default=None, help="port (default WALMART_PORT, 3000)")
    p.add_argument("--host", default=None, help="address (default WALMART_HOST, 127.0.0.1)")
    p.set_defaults(func=_cmd_serve)

    user = subparsers.add_parser("user", help="manage users of the server")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    p = user_sub.add_parser("add", help="add a user or change its password")
    p.add_argument("name")
    p.add_argument("--auth-file", default=None, help="credentials file (default WALMART_AUTH)")
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )
    p.set_defaults(func=_cmd_user_add)

    token = subparsers.add_parser("token", help="manage API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    p = token_sub.add_parser("create", help="create an API token (printed once)")
    p.add_argument("--user", default=None, help="the token's user (needed if there are several)")
    p.add_argument("--auth-file", default=None, help="credentials file (default WALMART_AUTH)")
    p.set_defaults(func=_cmd_token_create)
