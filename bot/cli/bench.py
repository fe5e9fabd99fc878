"""``python -m bot bench parse | conversation | turns | load | kg-update | hospital``: measurements (``tools/bench/``).

Why: every figure in the README comes from a command anyone can rerun; this module only
parses their arguments, the measuring lives in ``tools/bench/``.
"""

from __future__ import annotations

import sys
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


def cmd_bench_turns(args) -> int:
    from tools.bench import turns

    turns.run(args)
    return 0


def cmd_bench_load(args) -> int:
    from tools.bench import load

    rows = load.run(args)
    return 1 if any(row["errors"] or row["leaks"] or row["lost"] for row in rows) else 0


def cmd_bench_kg_update(args) -> int:
    from tools.bench import kg_update

    kg_update.run(args)
    return 0


def cmd_bench_hospital(args) -> int:
    from tools.bench import hospital

    try:
        hospital.run(args)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "bench", help="measurements: bench parse, conversation, turns, load, kg-update, hospital"
    )
    bench = p.add_subparsers(dest="bench_command", metavar="BENCH_COMMAND")
    bench.required = True
    p = bench.add_parser(
        "load",
        help="N conversations at once through the scaled profile (HAProxy, Redis): errors, leaks, lost context",
    )
    p.add_argument("--model", default=str(DEFAULT_MODEL), help="model the servers load")
    p.add_argument(
        "--workers", default="1,2", help="Sanic workers per Rasa server, one run each (default 1,2)"
    )
    p.add_argument("--servers", type=int, default=1, help="Rasa servers behind the balancer (default 1)")
    p.add_argument("--action-workers", type=int, default=2, help="action server processes (default 2)")
    p.add_argument("--conversations", type=int, default=1000, help="conversations per run (default 1000)")
    p.add_argument("--turns", type=int, default=5, help="turns per conversation (default 5)")
    p.add_argument("--senders", type=int, default=32, help="concurrent senders (default 32)")
    p.add_argument("--max-seconds", type=int, default=900, help="bound of each load phase (default 900)")
    p.set_defaults(handler=cmd_bench_load)
    p = bench.add_parser(
        "kg-update", help="seconds from importing a new disease to the running bot answering about it"
    )
    p.add_argument("--model", default=str(DEFAULT_MODEL), help="model the servers load")
    p.add_argument(
        "--refresh",
        type=float,
        default=None,
        help="KG_NAMES_REFRESH_SECONDS for the Rasa server (default: the model's refresh_seconds, 30)",
    )
    p.add_argument(
        "--timeout", type=float, default=180.0, help="give up after this many seconds (default 180)"
    )
    p.set_defaults(handler=cmd_bench_kg_update)
    p = bench.add_parser(
        "hospital", help="NLU and dialogue figures on the sample graph and a public-size graph of real names"
    )
    p.add_argument("--model", default=str(DEFAULT_MODEL), help="model both runs load")
    p.add_argument(
        "--names", default="../shared/kg_names", help="folder of real names (default ../shared/kg_names)"
    )
    p.add_argument("--data", default="tests/nlu", help="test NLU YAML file or folder (default tests/nlu)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random relations (default 0)")
    p.add_argument("--json", default=None, help="also write both columns here (JSON)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.set_defaults(handler=cmd_bench_hospital)
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
    p = bench.add_parser(
        "turns", help="REST turns of this bot next to a vanilla `rasa init` bot: latency, turns/s, RSS"
    )
    p.add_argument("--model", default=str(DEFAULT_MODEL), help="our model (default models/hospital.tar.gz)")
    p.add_argument(
        "--vanilla-dir", default="var/bench/vanilla", help="where the rasa init bot is trained once and kept"
    )
    p.add_argument(
        "--sequential", type=int, default=50, help="4-turn conversations, one at a time (default 50)"
    )
    p.add_argument("--senders", type=int, default=16, help="concurrent senders (default 16)")
    p.add_argument("--conversations", type=int, default=6, help="4-turn conversations per sender (default 6)")
    p.add_argument("--long", type=int, default=200, help="turns of the long conversation (default 200)")
    p.add_argument("--parse", type=int, default=200, help="timed POST /model/parse requests (default 200)")
    p.set_defaults(handler=cmd_bench_turns)
