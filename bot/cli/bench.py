"""``python -m bot bench parse | bench conversation``: latency measurements (``tools/bench/``)."""

from __future__ import annotations

from pathlib import Path

DEFAULT_MODEL = Path("models/hospital.tar.gz")


def cmd_bench_parse(args) -> int:
    from tools.bench import parse

    parse.run(Path(args.model), args.n, args.port, args.url)
    return 0


def cmd_bench_conversation(args) -> int:
    from tools.bench import conversation

    conversation.run(Path(args.model), args.turns, args.runs)
    return 0


def register(sub) -> None:
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
