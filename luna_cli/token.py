"""luna token: mint a session token (for grpcurl/buf curl and terminal clients)."""

from __future__ import annotations

import argparse

from luna_common.settings import CommonSettings
from luna_common.tokens import DEFAULT_TTL_SECONDS, issue_token


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", type=int, default=1, help="user id (default 1, the demo user)")
    parser.add_argument("--ttl", type=int, default=DEFAULT_TTL_SECONDS, help="lifetime in seconds")


def run(args: argparse.Namespace) -> int:
    secret = CommonSettings().require_token_secret()
    print(issue_token(args.user, secret, ttl_seconds=args.ttl))
    return 0
