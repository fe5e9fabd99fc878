"""``python -m bot eval nlu | eval sub-intent-dev``: measure the NLU (tools in ``tools/eval/``)."""

from __future__ import annotations

import sys
from pathlib import Path

DEFAULT_MODEL = Path("models/hospital.tar.gz")


def cmd_eval_nlu(args) -> int:
    from tools.eval import nlu

    nlu.run(Path(args.model), Path(args.data), None if args.no_out else Path(args.out))
    return 0


def cmd_sub_intent_dev(args) -> int:
    from tools.eval import sub_intent_dev

    try:
        settings = sub_intent_dev.parse_settings(args.set)
        seeds = [int(s) for s in args.split_seeds.split(",") if s.strip()]
        sub_intent_dev.run(
            Path(args.data), seeds, args.dev_fraction, settings, Path(args.errors) if args.errors else None
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def register(sub) -> None:
    p = sub.add_parser("eval", help="evaluate a trained model: eval nlu")
    ev = p.add_subparsers(dest="eval_command", metavar="EVAL_COMMAND")
    ev.required = True
    p = ev.add_parser("nlu", help="intent/sub-intent/entity/linking scores on a held-out NLU split")
    p.add_argument("--model", default=str(DEFAULT_MODEL), help="trained Rasa model (.tar.gz)")
    p.add_argument("--data", default="tests/nlu", help="test NLU YAML file or folder")
    p.add_argument("--out", default="results/nlu_eval", help="folder for report.json and confusion PNGs")
    p.add_argument("--no-out", action="store_true", help="print only, write nothing")
    p.set_defaults(handler=cmd_eval_nlu)
    p = ev.add_parser(
        "sub-intent-dev", help="train only the sub-intent classifier; accuracy on held-out training templates"
    )
    p.add_argument(
        "--data", default="data/nlu", help="training NLU YAML file or folder (never the test split)"
    )
    p.add_argument("--split-seeds", default="1,2", help="comma-separated dev split seeds (one run each)")
    p.add_argument("--dev-fraction", type=float, default=0.2, help="share of templates held out as dev")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a component setting (JSON value), e.g. --set learning_rate=0.0005",
    )
    p.add_argument("--errors", default=None, help="write misclassified dev sentences here (TSV)")
    p.set_defaults(handler=cmd_sub_intent_dev)
