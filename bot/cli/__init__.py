"""Command line entry point (``python -m bot``). Each command group lives in its own module
of this package with a ``register(subparsers)`` function; this file only wires them together.

The groups import their tools (``tools/``: evaluators, benchmarks, importers) inside the
handlers, so starting the servers never loads them.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import List, Optional

# Command groups, in the order ``--help`` lists them.
GROUPS = (
    "bot.cli.serve",
    "bot.cli.kg",
    "bot.cli.eval",
    "bot.cli.data",
    "bot.cli.bench",
    "bot.cli.shell",
    "bot.cli.unanswered",
    "bot.cli.pretrain",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Hospital FAQ dialogue engine tools.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in GROUPS:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["rasa"]:  # Rasa's CLI, untouched (bot/cli/serve.py, run_rasa)
        from bot.cli.serve import run_rasa

        return run_rasa(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (FileNotFoundError, ValueError, PermissionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # typed store errors and the like: one line, no traceback
        from kg_queries.store import KGUnavailableError

        if isinstance(exc, KGUnavailableError):
            print(f"error: knowledge graph unavailable: {exc}", file=sys.stderr)
            return 3
        raise
