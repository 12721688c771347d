"""The `matex` command line. Each sub-command lives in its own module in matex/commands/
and exposes `register(subparsers)`; adding one touches one file plus the list below."""
from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = [
    "matex.commands.extract",
    "matex.commands.doctor",
    "matex.commands.bench",
    "matex.commands.golden",
    "matex.commands.case",
    "matex.commands.serve",
    "matex.commands.audit",
    "matex.commands.batch",
    "matex.commands.keys",
    "matex.commands.purge",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="matex", description="Material extraction for benefit claims")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a command whose module is not there yet
            if exc.name == name:
                continue
            raise
        mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
