"""``python -m bot eval nlu | eval sub-intent-dev | data import-csv | data generate | bench parse | bench conversation``:
NLU data and measurement."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_MODEL = Path("models/hospital.tar.gz")


def cmd_eval_nlu(args) -> int:
    from bot import nlu_eval

    nlu_eval.run(Path(args.model), Path(args.data), None if args.no_out else Path(args.out))
    return 0


def cmd_sub_intent_dev(args) -> int:
    from bot import nlu_dev_experiment

    try:
        settings = nlu_dev_experiment.parse_settings(args.set)
        seeds = [int(s) for s in args.split_seeds.split(",") if s.strip()]
        nlu_dev_experiment.run(Path(args.data), seeds, args.dev_fraction, settings,
                               Path(args.errors) if args.errors else None)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def cmd_import_csv(args) -> int:
    from bot import csv_import

    out = Path(args.out)
    result = csv_import.import_csv(Path(args.file), args.text_col, args.label_col,
                                   Path(args.map) if args.map else None, out, args.encoding)
    for problem in result.problems:
        print(problem, file=sys.stderr)
    print("\n".join(csv_import.summary(result, out)))
    return 0


def cmd_generate(args) -> int:
    from bot.nlu_data import generate

    return generate.main(args.generate_args)


def cmd_bench_parse(args) -> int:
    from bot import bench_parse

    bench_parse.run(Path(args.model), args.n, args.port, args.url)
    return 0


def cmd_bench_conversation(args) -> int:
    from bot import bench_conversation

    bench_conversation.run(Path(args.model), args.turns, args.runs)
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
    p = ev.add_parser("sub-intent-dev",
                      help="train only the sub-intent classifier; accuracy on held-out training templates")
    p.add_argument("--data", default="data/nlu", help="training NLU YAML file or folder (never the test split)")
    p.add_argument("--split-seeds", default="1,2", help="comma-separated dev split seeds (one run each)")
    p.add_argument("--dev-fraction", type=float, default=0.2, help="share of templates held out as dev")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a component setting (JSON value), e.g. --set learning_rate=0.0005")
    p.add_argument("--errors", default=None, help="write misclassified dev sentences here (TSV)")
    p.set_defaults(handler=cmd_sub_intent_dev)

    p = sub.add_parser("data", help="NLU training data: import-csv, generate")
    data = p.add_subparsers(dest="data_command", metavar="DATA_COMMAND")
    data.required = True
    p = data.add_parser("import-csv", help="labelled question log (CSV, UTF-8 or GBK) -> Rasa NLU YAML")
    p.add_argument("file", help="CSV file with a header row")
    p.add_argument("--text-col", required=True, help="column with the question text")
    p.add_argument("--label-col", required=True, help="column with the hospital's label")
    p.add_argument("--map", default=None,
                   help="YAML: hospital label -> {intent, sub_intent}; our own intent names map to themselves")
    p.add_argument("--out", default="data/nlu/imported.yml", help="output NLU YAML")
    p.add_argument("--encoding", default=None, help="force an encoding (default: UTF-8, else GBK)")
    p.set_defaults(handler=cmd_import_csv)
    p = data.add_parser("generate", help="expand nlu_source/ templates into data/nlu and tests/nlu",
                        add_help=False, prefix_chars="+")
    p.add_argument("generate_args", nargs=argparse.REMAINDER,
                   help="arguments of bot/nlu_data/generate.py (--help for its options)")
    p.set_defaults(handler=cmd_generate)

    p = sub.add_parser("bench", help="latency measurements: bench parse, bench conversation")
    bench = p.add_subparsers(dest="bench_command", metavar="BENCH_COMMAND")
    bench.required = True
    p = bench.add_parser("parse", help="POST /model/parse latency (p50/p90/p99/mean) on a local server")
    p.add_argument("--model", default=str(DEFAULT_MODEL), help="model the started server loads")
    p.add_argument("--n", type=int, default=300, help="timed requests (after a warm-up of 20)")
    p.add_argument("--port", type=int, default=15105, help="port for the started server (127.0.0.1)")
    p.add_argument("--url", default=None, help="use this running server instead, e.g. http://127.0.0.1:5005")
    p.set_defaults(handler=cmd_bench_parse)
    p = bench.add_parser("conversation", help="REST turn latency early and late in one long conversation")
    p.add_argument("--model", default=str(DEFAULT_MODEL), help="model the started server loads")
    p.add_argument("--turns", type=int, default=200, help="turns of each conversation (default 200)")
    p.add_argument("--runs", type=int, default=3, help="conversations played one after another (default 3)")
    p.set_defaults(handler=cmd_bench_conversation)
