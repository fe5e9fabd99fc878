"""``python -m bot data import-csv | data generate``: NLU training data (``tools/csv_import.py``,
``tools/nlu_data/``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def cmd_import_csv(args) -> int:
    from tools import csv_import

    out = Path(args.out)
    result = csv_import.import_csv(
        Path(args.file),
        args.text_col,
        args.label_col,
        Path(args.map) if args.map else None,
        out,
        args.encoding,
    )
    for problem in result.problems:
        print(problem, file=sys.stderr)
    print("\n".join(csv_import.summary(result, out)))
    return 0


def cmd_generate(args) -> int:
    import tools.nlu_data

    return tools.nlu_data.main(args.generate_args)


def register(sub) -> None:
    p = sub.add_parser("data", help="NLU training data: import-csv, generate")
    data = p.add_subparsers(dest="data_command", metavar="DATA_COMMAND")
    data.required = True
    p = data.add_parser("import-csv", help="labelled question log (CSV, UTF-8 or GBK) -> Rasa NLU YAML")
    p.add_argument("file", help="CSV file with a header row")
    p.add_argument("--text-col", required=True, help="column with the question text")
    p.add_argument("--label-col", required=True, help="column with the hospital's label")
    p.add_argument(
        "--map",
        default=None,
        help="YAML: hospital label -> {intent, sub_intent}; our own intent names map to themselves",
    )
    p.add_argument("--out", default="data/nlu/imported.yml", help="output NLU YAML")
    p.add_argument("--encoding", default=None, help="force an encoding (default: UTF-8, else GBK)")
    p.set_defaults(handler=cmd_import_csv)
    p = data.add_parser(
        "generate",
        help="expand nlu_source/ templates into data/nlu, tests/nlu and tests/nlu_realistic",
        add_help=False,
        prefix_chars="+",
    )
    p.add_argument(
        "generate_args",
        nargs=argparse.REMAINDER,
        help="arguments of the generator in tools/nlu_data/ (--help for its options)",
    )
    p.set_defaults(handler=cmd_generate)
