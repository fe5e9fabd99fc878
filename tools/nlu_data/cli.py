"""``python -m tools.nlu_data [--seed 42] [--out data/nlu] [--test-out tests/nlu]
[--realistic-test-out tests/nlu_realistic] ...``

Generate Rasa 3 NLU training/test data from hand-written templates. Exit codes: 0 done,
1 a minimum count not met with ``--strict``, 2 the data cannot be generated.

Why: ``python -m bot data generate`` and this entry point share one argument parser, so both
name the same folders and seed.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import List, Optional

from tools.nlu_data.errors import GenerationError
from tools.nlu_data.generate import (
    DEFAULT_KG,
    DEFAULT_OUT,
    DEFAULT_REALISTIC_TEST_OUT,
    DEFAULT_SEED,
    DEFAULT_SOURCE,
    DEFAULT_TEST_OUT,
    generate,
)

logger = logging.getLogger(__name__)


def build_parser(prog: Optional[str] = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Generate Rasa 3 NLU training/test data from hand-written templates."
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="train output folder")
    parser.add_argument("--test-out", type=Path, default=DEFAULT_TEST_OUT, help="test output folder")
    parser.add_argument(
        "--realistic-test-out",
        type=Path,
        default=DEFAULT_REALISTIC_TEST_OUT,
        help="test output folder of the realistic templates (nlu_source/realistic/)",
    )
    parser.add_argument(
        "--source", type=Path, default=DEFAULT_SOURCE, help="folder with the hand-written *.yml templates"
    )
    parser.add_argument("--kg", type=Path, default=DEFAULT_KG, help="folder with KG *.json")
    parser.add_argument("--quiet", action="store_true", help="do not print the summary")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a minimum count is not met")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run the generator with command-line arguments; returns the exit code."""
    args = build_parser().parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        result = generate(
            args.source,
            args.kg,
            args.out,
            args.test_out,
            args.seed,
            realistic_test_out_dir=args.realistic_test_out,
        )
    except GenerationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(result.table)
    for problem in result.problems:
        logger.warning("%s", problem)
    return 1 if result.problems and args.strict else 0
