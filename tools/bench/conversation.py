"""``python -m bot bench conversation``: does a turn cost more late in a long conversation?

Why: Rasa replays and ships a conversation's whole history every turn; the compacting
tracker store (``bot/tracker_store.py``) keeps it bounded. This plays one conversation of
``--turns`` questions through the REST channel of a bot started as ``make run`` starts it
(``tools/live_servers.py``, free 127.0.0.1 ports) and prints the latency of the first and
last ten turns and their ratio. Several conversations run one after another (``--runs``)
and the medians are reported, since this machine is shared and noisy.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Dict, List

from tools.live_servers import MODEL, LiveBot

QUESTIONS = [
    "感冒有什么症状",
    "那怎么治疗呢",
    "要做什么检查",
    "饮食上要注意什么",
    "会传染吗",
    "糖尿病的病因是什么",
    "怎么预防",
    "一般多久能好",
    "挂什么科",
    "能治好吗",
]
WINDOW = 10


def play(bot: LiveBot, sender: str, turns: int) -> List[float]:
    """Milliseconds of each turn of one conversation (REST channel)."""
    latencies = []
    for i in range(turns):
        body = {"sender": sender, "message": QUESTIONS[i % len(QUESTIONS)]}
        started = time.perf_counter()
        status, _, reply = bot.request("POST", "/webhooks/rest/webhook", body)
        latencies.append((time.perf_counter() - started) * 1000.0)
        if status != 200 or not reply:
            raise RuntimeError(f"turn {i + 1}: {status} {json.dumps(reply, ensure_ascii=False)[:200]}")
    return latencies


def run(model: Path = MODEL, turns: int = 200, runs: int = 3) -> Dict[str, float]:
    if not 2 * WINDOW <= turns <= 2000 or not 1 <= runs <= 10:
        raise ValueError(f"--turns must be {2 * WINDOW}..2000 and --runs 1..10")
    work = Path(tempfile.mkdtemp(prefix="bench-conversation-"))
    print(f"starting the bot with {model} (logs in {work})")
    first, last = [], []
    with LiveBot(work, work, model=model) as bot:
        play(bot, "warm-up", WINDOW)
        for run_index in range(runs):
            latencies = play(bot, f"bench-{run_index}-{time.time_ns()}", turns)
            first.append(statistics.median(latencies[:WINDOW]))
            last.append(statistics.median(latencies[-WINDOW:]))
            print(
                f"  conversation {run_index + 1}: turns 1-{WINDOW} p50 {first[-1]:.1f} ms, "
                f"turns {turns - WINDOW + 1}-{turns} p50 {last[-1]:.1f} ms"
            )
    result = {"turn_first_ms": statistics.median(first), "turn_last_ms": statistics.median(last)}
    result["ratio"] = result["turn_last_ms"] / result["turn_first_ms"]
    print(
        f"one conversation of {turns} turns through REST, median of {runs}: "
        f"first {WINDOW} turns p50 {result['turn_first_ms']:.1f} ms, last {WINDOW} turns p50 "
        f"{result['turn_last_ms']:.1f} ms, ratio {result['ratio']:.2f} (target <= 1.5)"
    )
    return result
