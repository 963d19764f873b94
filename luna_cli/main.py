"""Entry point of the `luna` command. Each subcommand lives in its own module and is imported only when used."""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, one-line help). Each module defines add_arguments(parser) and run(args) -> int.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "token": ("luna_cli.token", "mint a signed session token for a user (needs LUNA_TOKEN_SECRET)"),
    "stack": ("luna_cli.stack", "start every service of the stack in the foreground (what `make run` runs)"),
    "seed": ("luna_cli.seed", "create the database schema and load the deterministic demo city"),
    "understand": ("luna_cli.understand", "print the intent and entities of a text as JSON"),
    "talk": ("luna_cli.talk", "stream WAV files through VoiceGateway.Converse in real time"),
    "chat": ("luna_cli.chat", "type to Luna through VoiceGateway.Converse (text mode)"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="luna", description="Luna Voice command-line tools.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (_module, help_text) in SUBCOMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    args, rest = parser.parse_known_args(argv)
    module_name, help_text = SUBCOMMANDS[args.command]
    module = importlib.import_module(module_name)
    sub_parser = argparse.ArgumentParser(prog=f"luna {args.command}", description=help_text)
    module.add_arguments(sub_parser)
    code: int = module.run(sub_parser.parse_args(rest))
    return code


if __name__ == "__main__":
    sys.exit(main())
