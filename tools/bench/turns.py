"""``python -m bot bench turns``: what a REST turn costs here, next to a vanilla ``rasa init`` bot.

Why: a hospital's peak is many patients at once, so turns per second per core decides how
many servers it buys, and this machine is shared and noisy, so a figure means something
only next to a peer measured in the same run with the same client. The peer is the bot
``rasa init --no-prompt`` makes (moodbot: DIET + TED, responses only, no action server),
trained once from the same virtual environment and kept in ``var/bench/vanilla``. Both are
served at the same time on free 127.0.0.1 ports (ours as ``make run`` starts it:
``tools/live_servers.py``) and driven through their REST channel by the same client, one bot
at a time, phase by phase (vanilla then ours, so a change in the machine's speed during the run
falls on both):

* **sequential**: one sender at a time, conversations of four turns: p50 / p99;
* **16 concurrent** senders, each playing four-turn conversations: turns/s, p50 / p99;
* **long**: one conversation of ``--long`` turns: median of the first and last ten turns;
* ``POST /model/parse`` p50 / p99 (the API on, with a random token);
* peak RSS of each server process (``VmHWM``; ours: Rasa and the action server).

Every phase is bounded in requests and in time; the servers are stopped whatever happens.
"""

from __future__ import annotations

import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple

from core.paths import PROJECT_ROOT
from tools.bench.conversation import WINDOW
from tools.bench.parse import percentile, stop_server, wait_ready
from tools.live_servers import LiveBot, free_port, http_request

VANILLA_DIR = PROJECT_ROOT / "var" / "bench" / "vanilla"
TRAIN_TIMEOUT = 1800.0
PHASE_SECONDS = 300.0

# Four-turn conversations in each bot's own language and domain.
OURS = ("你好", "感冒有什么症状", "那怎么治疗呢", "再见")
VANILLA = ("hello", "I am feeling very sad", "yes", "goodbye")
OURS_PARSE = ("感冒有什么症状", "糖尿病饮食上要注意什么", "高血压挂什么科", "你好")
VANILLA_PARSE = ("I am feeling very sad", "hello there", "yes", "goodbye")


@dataclass
class Bot:
    """A served bot: its REST port, its API token and the pids whose peak RSS is reported."""

    name: str
    port: int
    token: str
    pids: Dict[str, int]
    turns: Sequence[str]
    parse_texts: Sequence[str]
    results: Dict[str, float] = field(default_factory=dict)


def turn(bot: Bot, sender: str, text: str) -> float:
    """Milliseconds of one REST turn; RuntimeError unless the bot answered with messages."""
    started = time.perf_counter()
    status, _, reply = http_request(
        bot.port, "POST", "/webhooks/rest/webhook", {"sender": sender, "message": text}
    )
    elapsed = (time.perf_counter() - started) * 1000.0
    if status != 200 or not reply or isinstance(reply, str):  # a JSON list of bot messages
        raise RuntimeError(f"{bot.name}: {status} {str(reply)[:200]!r} for {text!r}")
    return elapsed


def conversations(bot: Bot, prefix: str, count: int, deadline: float) -> List[float]:
    """Latencies of ``count`` four-turn conversations, each with a new sender, until ``deadline``."""
    latencies: List[float] = []
    for c in range(count):
        if time.monotonic() > deadline:
            break
        sender = f"{prefix}-{c}-{secrets.token_hex(4)}"
        latencies += [turn(bot, sender, text) for text in bot.turns]
    return latencies


def sequential(bot: Bot, count: int) -> List[float]:
    return conversations(bot, "seq", count, time.monotonic() + PHASE_SECONDS)


def concurrent(bot: Bot, senders: int, count: int) -> Tuple[List[float], float]:
    """Latencies and turns/s of ``senders`` threads, each playing ``count`` conversations."""
    latencies: List[float] = []
    errors: List[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + PHASE_SECONDS

    def play(index: int) -> None:
        try:
            mine = conversations(bot, f"con-{index}", count, deadline)
        except Exception as exc:  # reported after the run, never silently dropped
            errors.append(f"{type(exc).__name__}: {exc}")
            return
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=play, args=(i,), daemon=True) for i in range(senders)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PHASE_SECONDS + 60)
    seconds = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{bot.name}: {len(errors)} senders failed, first: {errors[0]}")
    return latencies, len(latencies) / seconds


def long_conversation(bot: Bot, turns: int) -> Tuple[float, float]:
    sender = f"long-{secrets.token_hex(4)}"
    latencies = [turn(bot, sender, bot.turns[1 + i % (len(bot.turns) - 2)]) for i in range(turns)]
    return statistics.median(latencies[:WINDOW]), statistics.median(latencies[-WINDOW:])


def parse_latencies(bot: Bot, n: int) -> List[float]:
    out = []
    for i in range(n + 10):
        started = time.perf_counter()
        status, _, reply = http_request(
            bot.port,
            "POST",
            f"/model/parse?token={bot.token}",
            {"text": bot.parse_texts[i % len(bot.parse_texts)]},
        )
        if status != 200:
            raise RuntimeError(f"{bot.name}: /model/parse answered {status}: {str(reply)[:200]!r}")
        if i >= 10:  # the first ten warm up
            out.append((time.perf_counter() - started) * 1000.0)
    return out


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def phases(bots: Sequence[Bot], args) -> None:
    """Each phase for every bot in turn (vanilla, then ours), so drift in the machine's speed
    during the run falls on both rows alike."""
    for bot in bots:
        print(f"{bot.name}: warming up")
        sequential(bot, 5)
    for bot in bots:
        seq = sequential(bot, args.sequential)
        bot.results["seq_p50"], bot.results["seq_p99"] = percentile(seq, 50), percentile(seq, 99)
        print(f"{bot.name}: sequential {len(seq)} turns p50 {bot.results['seq_p50']:.1f} ms")
    for bot in bots:
        con, rate = concurrent(bot, args.senders, args.conversations)
        bot.results.update(con_rate=rate, con_p50=percentile(con, 50), con_p99=percentile(con, 99))
        print(f"{bot.name}: {args.senders} concurrent senders, {len(con)} turns: {rate:.1f} turns/s")
    for bot in bots:
        bot.results["turn_first"], bot.results["turn_last"] = long_conversation(bot, args.long)
    for bot in bots:
        parse = parse_latencies(bot, args.parse)
        bot.results["parse_p50"], bot.results["parse_p99"] = percentile(parse, 50), percentile(parse, 99)
    for bot in bots:
        for name, pid in bot.pids.items():
            bot.results[f"rss_{name}"] = peak_rss_mb(pid)


# ---------------------------------------------------------------------- the vanilla bot
def _env() -> Dict[str, str]:
    return {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "SANIC_HOST": "127.0.0.1",
    }


def _rasa() -> List[str]:
    return [sys.executable, "-m", "rasa"]


def vanilla_model(directory: Path = VANILLA_DIR) -> Path:
    """The ``rasa init --no-prompt`` bot's model, trained now unless it is already there."""
    models = sorted((directory / "models").glob("*.tar.gz")) if directory.is_dir() else []
    if models:
        return models[-1]
    directory.mkdir(parents=True, exist_ok=True)
    print(f"training the vanilla rasa init bot in {directory} (once; a few minutes)")
    log = directory / "init.log"
    with open(log, "w") as out:
        done = subprocess.run(
            [*_rasa(), "init", "--no-prompt", "--init-dir", str(directory)],
            cwd=directory,
            env=_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=TRAIN_TIMEOUT,
            check=False,
        )
    models = sorted((directory / "models").glob("*.tar.gz"))
    if done.returncode != 0 or not models:
        raise RuntimeError(f"rasa init failed ({done.returncode}); see {log}")
    return models[-1]


def serve_vanilla(model: Path, log_dir: Path, token: str) -> Tuple[subprocess.Popen, int]:
    port = free_port()
    log = open(log_dir / "vanilla.log", "w")  # noqa: SIM115 - the server owns it until it exits
    process = subprocess.Popen(
        [*_rasa(), "run", "-m", str(model), "-i", "127.0.0.1", "-p", str(port), "--enable-api",
         "--auth-token", token, "--credentials", str(model.parent.parent / "credentials.yml")],
        cwd=model.parent.parent, env=_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    return process, port


# ---------------------------------------------------------------------- report
ROWS: Sequence[Tuple[str, str, str, Callable[[float], str]]] = (
    ("REST turn p50, one sender (ms)", "seq_p50", "lower", "{:.1f}".format),
    ("REST turn p99, one sender (ms)", "seq_p99", "lower", "{:.1f}".format),
    ("turns/s, 16 concurrent senders", "con_rate", "higher", "{:.1f}".format),
    ("turn p50 at 16 concurrent (ms)", "con_p50", "lower", "{:.1f}".format),
    ("turn p99 at 16 concurrent (ms)", "con_p99", "lower", "{:.1f}".format),
    ("long conversation: first 10 turns p50 (ms)", "turn_first", "lower", "{:.1f}".format),
    ("long conversation: last 10 turns p50 (ms)", "turn_last", "lower", "{:.1f}".format),
    ("POST /model/parse p50 (ms)", "parse_p50", "lower", "{:.2f}".format),
    ("POST /model/parse p99 (ms)", "parse_p99", "lower", "{:.2f}".format),
)


def report(ours: Dict[str, float], vanilla: Dict[str, float], args) -> Dict[str, float]:
    width = 46
    print()
    print(f"{'':<{width}} {'vanilla':>10} {'ours':>10} {'ours/vanilla':>13}")
    for label, key, _, fmt in ROWS:
        label = label.replace("16", str(args.senders))
        ratio = ours[key] / vanilla[key] if vanilla[key] else float("nan")
        print(f"{label:<{width}} {fmt(vanilla[key]):>10} {fmt(ours[key]):>10} {ratio:>13.2f}")
    rss_ours = ours.get("rss_rasa", 0.0) + ours.get("rss_actions", 0.0)
    print(
        f"{'peak RSS (MB)':<{width}} {vanilla['rss_rasa']:>10.0f} {rss_ours:>10.0f} {rss_ours / vanilla['rss_rasa']:>13.2f}"
        f"   (ours: Rasa {ours['rss_rasa']:.0f} + actions {ours['rss_actions']:.0f})"
    )
    summary = {
        "turn_p50_ratio": ours["seq_p50"] / vanilla["seq_p50"],
        "turns_per_s_ratio": ours["con_rate"] / vanilla["con_rate"],
        "long_ratio": ours["turn_last"] / ours["turn_first"],
    }
    print(
        f"\ntargets: turn p50 {summary['turn_p50_ratio']:.2f}x vanilla (<= 0.75), "
        f"turns/s {summary['turns_per_s_ratio']:.2f}x vanilla (>= 1.5), "
        f"parse p50 {ours['parse_p50']:.2f} ms (<= 7) p99 {ours['parse_p99']:.2f} ms (<= 15), "
        f"turn {args.long} / turn 1 {summary['long_ratio']:.2f} (<= 1.5)"
    )
    return summary


def run(args) -> Dict[str, float]:
    limits = ((args.sequential, 10, 500), (args.senders, 1, 64), (args.conversations, 1, 50),
              (args.long, 2 * WINDOW, 1000), (args.parse, 10, 2000))  # fmt: skip
    for value, low, high in limits:
        if not low <= value <= high:
            raise ValueError(f"{value} is outside {low}..{high} (see --help)")
    model = Path(args.model)
    if not model.is_file():
        raise FileNotFoundError(f"model not found: {model} (train it with `make train`)")
    vanilla_path = vanilla_model(Path(args.vanilla_dir))
    work = Path(tempfile.mkdtemp(prefix="bench-turns-"))
    print(f"logs in {work}")
    token = secrets.token_hex(16)
    process, port = serve_vanilla(vanilla_path, work, token)
    try:
        with LiveBot(work, work, api=True, env={"RASA_API_TOKEN": token}, model=model) as live:
            wait_ready(f"http://127.0.0.1:{port}", process, 300, work / "vanilla.log", token)
            vanilla = Bot("vanilla", port, token, {"rasa": process.pid}, VANILLA, VANILLA_PARSE)
            pids = {name: p.pid for name, p in live.processes.items()}
            ours = Bot("ours", live.port, token, pids, OURS, OURS_PARSE)
            phases([vanilla, ours], args)
    finally:
        stop_server(process)
    return report(ours.results, vanilla.results, args)
