"""``python -m bot bench load``: many conversations at once through the scaled profile.

Why: what decides whether the Redis-backed servers can carry a hospital's peak is not one
conversation's latency but many at once, each keeping its own context: no error, no reply
about another patient's disease, no lost follow-up. For each worker count asked for, this
starts the scaled profile (``tools/cluster.py``: Redis, action workers, Rasa servers with
that many Sanic workers, HAProxy with the rate limit off), then

1. plays each disease's conversation once, alone (the *reference*: what the bot answers
   without any concurrency), and
2. plays ``--conversations`` conversations of ``--turns`` turns at ``--senders`` concurrent
   senders through the balancer, each about its own disease (conversation *c* about disease
   *c* mod the number of diseases, so the conversations in flight never share one).

Every reply of phase 2 is compared with the reference turn: an **error** is a non-200
status, a failed request or a ``service_unavailable`` reply; a **leak** is a reply about
another disease of the benchmark; **lost context** is any other difference in the disease a
reply is about (a follow-up answered "which disease?"). It prints p50/p99 and turns/s too.
Bounded: at most ``--max-seconds`` per phase, then the rest is skipped and counted.
"""

from __future__ import annotations

import glob
import os
import queue
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from core.paths import PROJECT_ROOT
from kg_queries.records import iter_records
from tools.bench.parse import percentile
from tools.bench.turns import peak_rss_mb
from tools.cluster import Cluster, ClusterSpec
from tools.live_servers import http_request

# The turns of one conversation: the disease is named once, then only followed up.
TURNS = ("{disease}有什么症状", "那怎么治疗", "要做什么检查", "挂什么科", "谢谢")
WEBHOOK = "/webhooks/rest/webhook"
# What a turn is about, compared with the reference: strategy and disease of each payload.
Outcome = Tuple[Tuple[str, Optional[str]], ...]


def graph_diseases(pattern: str = str(PROJECT_ROOT / "data" / "kg" / "*.json")) -> List[str]:
    """The disease names of the sample graph, in file order, each once."""
    names: List[str] = []
    for path in sorted(glob.glob(pattern)):
        for _, record in iter_records(Path(path)):
            name = record.get("name") if isinstance(record, dict) else None
            if isinstance(name, str) and name and name not in names:
                names.append(name)
    return names


@dataclass
class Tally:
    """What phase 2 saw, filled by the sender threads."""

    latencies: List[float] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    leaks: List[str] = field(default_factory=list)
    lost: List[str] = field(default_factory=list)
    skipped: int = 0
    done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def turn(port: int, sender: str, text: str) -> Tuple[Optional[Outcome], float, str]:
    """(outcome or None on an error, milliseconds, error text)."""
    started = time.perf_counter()
    try:
        status, _, body = http_request(port, "POST", WEBHOOK, {"sender": sender, "message": text}, timeout=60)
    except OSError as exc:
        return None, (time.perf_counter() - started) * 1000.0, f"{type(exc).__name__}: {exc}"
    elapsed = (time.perf_counter() - started) * 1000.0
    if status != 200 or not isinstance(body, list):
        return None, elapsed, f"HTTP {status}: {str(body)[:120]}"
    outcome = tuple(
        (m["custom"].get("strategy"), m["custom"].get("disease"))
        for m in body
        if isinstance(m.get("custom"), dict)
    )
    if not outcome or any(strategy == "service_unavailable" for strategy, _ in outcome):
        return None, elapsed, f"reply {outcome!r} to {text!r}"
    return outcome, elapsed, ""


def texts_for(disease: str, turns: int) -> List[str]:
    return [TURNS[i % len(TURNS)].format(disease=disease) for i in range(turns)]


def reference(port: int, diseases: Sequence[str], turns: int, run: str) -> Dict[str, List[Optional[Outcome]]]:
    """Each disease's conversation played alone, one after another."""
    out: Dict[str, List[Optional[Outcome]]] = {}
    for index, disease in enumerate(diseases):
        out[disease] = [turn(port, f"ref-{run}-{index}", text)[0] for text in texts_for(disease, turns)]
    return out


def judge(disease: str, got: Outcome, expected: Optional[Outcome], others: set) -> Optional[str]:
    """'leak', 'lost' or None when ``got`` is about what the reference reply was about."""
    if expected is None:  # the reference itself failed here: nothing to compare with
        return None
    diseases = {d for _, d in got if d}
    wanted = {d for _, d in expected if d}
    if diseases == wanted:
        return None
    return "leak" if (diseases - wanted) & (others - {disease}) else "lost"


def load(
    port: int, diseases: Sequence[str], ref: Dict[str, List[Optional[Outcome]]], args, run: str
) -> Tuple[Tally, float]:
    tally = Tally()
    work: queue.Queue[int] = queue.Queue()
    for c in range(args.conversations):
        work.put(c)
    others = set(diseases)
    deadline = time.monotonic() + args.max_seconds

    def sender_thread() -> None:
        while True:
            try:
                c = work.get_nowait()
            except queue.Empty:
                return
            if time.monotonic() > deadline:
                with tally.lock:
                    tally.skipped += 1
                continue
            disease = diseases[c % len(diseases)]
            sender = f"load-{run}-{c}"
            failed = False
            for index, text in enumerate(texts_for(disease, args.turns)):
                outcome, ms, error = turn(port, sender, text)
                verdict = None
                if outcome is not None and not failed:  # after an error the context is gone anyway
                    verdict = judge(disease, outcome, ref[disease][index], others)
                failed = failed or outcome is None
                with tally.lock:
                    tally.latencies.append(ms)
                    if outcome is None:
                        tally.errors.append(f"{sender} turn {index + 1}: {error}")
                    elif verdict == "leak":
                        tally.leaks.append(f"{sender} ({disease}) turn {index + 1}: {outcome}")
                    elif verdict == "lost":
                        tally.lost.append(f"{sender} ({disease}) turn {index + 1}: {outcome}")
            with tally.lock:
                tally.done += 1

    threads = [threading.Thread(target=sender_thread, daemon=True) for _ in range(args.senders)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    limit = started + args.max_seconds + 120
    last = started
    while any(thread.is_alive() for thread in threads) and time.perf_counter() < limit:
        time.sleep(0.5)
        if time.perf_counter() - last >= 10:
            last = time.perf_counter()
            print(
                f"  {tally.done}/{args.conversations} conversations, {len(tally.latencies)} turns", flush=True
            )
    return tally, time.perf_counter() - started


def group_rss_mb(cluster: Cluster, names: Sequence[str]) -> float:
    """Peak RSS of the named processes and their workers (same session), summed."""
    groups = {cluster.processes[name].pid for name in names if name in cluster.processes}
    total = 0.0
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) in groups:  # field 6 of /proc/PID/stat: the session id
            total += peak_rss_mb(int(Path(stat).parent.name))
    return total


def one_setting(workers: int, diseases: Sequence[str], args, work: Path) -> Dict[str, Any]:
    spec = ClusterSpec(
        servers=args.servers,
        workers=workers,
        action_workers=args.action_workers,
        port=0,
        rate_limit=0,
        model=Path(args.model),
        work=work / f"workers-{workers}",
        env={"UNANSWERED_DB_URL": f"sqlite:///{work / f'unanswered-{workers}.sqlite3'}"},
    )
    run = f"w{workers}-{os.getpid()}"
    print(
        f"\n{args.servers} Rasa server(s) x {workers} worker(s), {args.action_workers} action workers: starting"
    )
    with Cluster(spec) as cluster:
        print(f"reference: {len(diseases)} conversations, one at a time", flush=True)
        started = time.perf_counter()
        ref = reference(cluster.port, diseases, args.turns, run)
        sequential_rate = len(diseases) * args.turns / (time.perf_counter() - started)
        broken = sum(1 for outcomes in ref.values() if any(o is None for o in outcomes))
        print(
            f"load: {args.conversations} conversations x {args.turns} turns, {args.senders} senders",
            flush=True,
        )
        tally, seconds = load(cluster.port, diseases, ref, args, run)
        rss = group_rss_mb(cluster, cluster.server_names)
        rss_actions = group_rss_mb(cluster, ["actions"])
    for label, items in (("errors", tally.errors), ("leaks", tally.leaks), ("lost context", tally.lost)):
        for line in items[:5]:
            print(f"  {label}: {line}")
    return {
        "workers": workers,
        "turns": len(tally.latencies),
        "errors": len(tally.errors),
        "leaks": len(tally.leaks),
        "lost": len(tally.lost),
        "skipped": tally.skipped,
        "reference_errors": broken,
        "p50": statistics.median(tally.latencies) if tally.latencies else float("nan"),
        "p99": percentile(tally.latencies, 99) if tally.latencies else float("nan"),
        "rate": len(tally.latencies) / seconds if seconds else float("nan"),
        "sequential_rate": sequential_rate,
        "rss_rasa": rss,
        "rss_actions": rss_actions,
    }


def report(rows: List[Dict[str, Any]]) -> None:
    print()
    header = (
        f"{'workers':>7} {'turns':>6} {'errors':>6} {'leaks':>5} {'lost':>5} {'skipped':>7} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'turns/s':>8} {'1 sender':>8} {'RSS Rasa MB':>11} {'RSS actions MB':>14}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['workers']:>7} {r['turns']:>6} {r['errors']:>6} {r['leaks']:>5} {r['lost']:>5} "
            f"{r['skipped']:>7} {r['p50']:>7.1f} {r['p99']:>7.1f} {r['rate']:>8.1f} {r['sequential_rate']:>8.1f} "
            f"{r['rss_rasa']:>11.0f} {r['rss_actions']:>14.0f}"
        )
    if len(rows) > 1 and rows[0]["rate"]:
        for r in rows[1:]:
            print(
                f"turns/s with {r['workers']} workers: {r['rate'] / rows[0]['rate']:.2f}x {rows[0]['workers']}"
            )
    failing = [r for r in rows if r["reference_errors"]]
    for r in failing:
        print(f"note: {r['reference_errors']} reference conversations had an error (workers {r['workers']})")


def parse_workers(text: str) -> List[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"--workers takes numbers separated by commas, got {text!r}") from None
    if not values or any(not 1 <= v <= 8 for v in values):
        raise ValueError(f"--workers: each count must be 1..8, got {text!r}")
    return values


def run(args) -> List[Dict[str, Any]]:
    limits = ((args.conversations, 1, 20000), (args.turns, 2, 20), (args.senders, 1, 128),
              (args.servers, 1, 4), (args.action_workers, 1, 8), (args.max_seconds, 10, 3600))  # fmt: skip
    for value, low, high in limits:
        if not low <= value <= high:
            raise ValueError(f"{value} is outside {low}..{high} (see --help)")
    if not Path(args.model).is_file():
        raise FileNotFoundError(f"model not found: {args.model} (train it with `make train`)")
    diseases = graph_diseases()
    if len(diseases) < args.senders:
        raise ValueError(f"{len(diseases)} diseases in the graph: fewer than {args.senders} senders")
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    print(f"logs in {work}; {len(diseases)} diseases")
    rows = [one_setting(workers, diseases, args, work) for workers in parse_workers(args.workers)]
    report(rows)
    return rows
