"""``python -m bot bench parse``: latency of ``POST /model/parse`` on a local Rasa server, for
30-character questions.

Why: the parse endpoint is on every user turn's path; this measures it end to end
(HTTP + the whole NLU graph) the way the channel calls it. The server is started on
the loopback interface with the given model (or an already running one is used via
``--url``); a warm-up round comes first; request count and total time are bounded.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence
from urllib.parse import urlparse

# Our own questions, each 30 characters, covering typos, aliases and every sub-intent.
QUESTIONS: Sequence[str] = (
    "我妈妈最近得了糖尿并，平时在饮食上需要注意一些什么呢？请问下",
    "请问高血亚患者平时应该吃什么药比较好，有没有什么副作用呢医生",
    "孩子发烧咳嗽好几天了还没好，需要去医院做哪些检查才行啊谢谢了",
    "医生说我爸是冠心病，这个病能治好吗，一般要治疗多长时间呢谢谢",
    "最近总是头痛失眠，晚上睡不着觉，是不是得了什么病了呀好担心啊",
    "我老婆怀孕三个月了，感冒了可以吃药吗，会不会影响宝宝呢请回答",
    "胃炎和胃溃疡有什么区别吗，平时吃东西要注意哪些事情呢麻烦你了",
    "乙肝会不会传染给家里人啊，和他一起吃饭需要分开碗筷吗有点担心",
    "我得了过敏性鼻炎，每天早上起来就打喷嚏流鼻涕，怎么办呢求帮助",
    "肺炎一般要挂哪个科室，是呼吸内科还是感染科，谢谢医生了麻烦啦",
)

READY_TIMEOUT_S = 300.0
MAX_SECONDS = 300.0


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in [0, 100]) of a non-empty sample."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = (len(ordered) - 1) * q / 100.0
    lo = int(rank)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo)


def summarise(latencies_ms: Sequence[float]) -> Dict[str, float]:
    return {
        "n": len(latencies_ms),
        "p50": percentile(latencies_ms, 50),
        "p90": percentile(latencies_ms, 90),
        "p99": percentile(latencies_ms, 99),
        "mean": statistics.fmean(latencies_ms),
        "max": max(latencies_ms),
    }


class ParseClient:
    """One keep-alive HTTP connection to a Rasa server's ``/model/parse``."""

    def __init__(self, url: str, token: Optional[str] = None) -> None:
        parsed = urlparse(url)
        if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"{url}: only loopback servers are benchmarked")
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.query = f"?token={token}" if token else ""  # the Rasa API's auth token
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def get(self, path: str) -> int:
        self.conn.request("GET", path + self.query)
        response = self.conn.getresponse()
        response.read()
        return response.status

    def parse(self, text: str) -> Dict:
        body = json.dumps({"text": text}, ensure_ascii=False).encode("utf-8")
        self.conn.request("POST", "/model/parse" + self.query, body, {"Content-Type": "application/json"})
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"/model/parse answered {response.status}: {data[:200]!r}")
        return json.loads(data)

    def close(self) -> None:
        self.conn.close()


def start_server(model: Path, port: int, log_path: Path, token: str) -> subprocess.Popen:
    """``rasa run --enable-api --auth-token`` on 127.0.0.1:port in its own process group."""
    if not Path(model).exists():
        raise FileNotFoundError(f"model not found: {model} (train it with `make train`)")
    rasa = Path(sys.executable).with_name("rasa")
    command = [
        str(rasa) if rasa.exists() else "rasa",
        "run",
        "--enable-api",
        "--auth-token",
        token,
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "-m",
        str(model),
    ]
    env = {**os.environ, "SANIC_HOST": "127.0.0.1"}
    log = open(log_path, "w")  # noqa: SIM115 - the server process owns it until it exits
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def wait_ready(
    url: str,
    server: Optional[subprocess.Popen],
    timeout: float,
    log_path: Optional[Path],
    token: Optional[str] = None,
) -> None:
    """Until ``GET /status`` answers 200 with a loaded model (or the server dies / time runs out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:] if log_path else ""
            raise RuntimeError(f"rasa server exited with {server.returncode}:\n{tail}")
        client = None
        try:
            client = ParseClient(url, token)
            if client.get("/status") == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        finally:
            if client is not None:
                client.close()
        time.sleep(1.0)
    raise TimeoutError(f"no ready Rasa server at {url} after {timeout:.0f}s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def measure(
    url: str, n: int, warmup: int = 20, max_seconds: float = MAX_SECONDS, token: Optional[str] = None
) -> List[float]:
    """Milliseconds per ``/model/parse`` for ``n`` requests cycling through QUESTIONS."""
    client = ParseClient(url, token)
    try:
        for i in range(warmup):
            client.parse(QUESTIONS[i % len(QUESTIONS)])
        latencies: List[float] = []
        deadline = time.monotonic() + max_seconds
        for i in range(n):
            if time.monotonic() > deadline:
                print(f"time limit {max_seconds:.0f}s reached after {i} requests", file=sys.stderr)
                break
            started = time.perf_counter()
            client.parse(QUESTIONS[i % len(QUESTIONS)])
            latencies.append((time.perf_counter() - started) * 1000.0)
        return latencies
    finally:
        client.close()


def run(model: Path, n: int, port: int, url: Optional[str]) -> Dict[str, float]:
    """Start (or reuse) a server, measure, stop it, print and return the summary."""
    if not 1 <= n <= 10000:
        raise ValueError("--n must be between 1 and 10000")
    server = None
    log_path = None
    token = os.environ.get("RASA_API_TOKEN") or None  # of a server given by --url
    if url is None:
        url = f"http://127.0.0.1:{port}"
        log_path = Path(tempfile.gettempdir()) / f"bench_parse_{port}.log"
        token = secrets.token_hex(16)  # the API is never open, not even for a benchmark
        print(f"starting rasa run on {url} with {model} (log: {log_path})", file=sys.stderr)
        server = start_server(model, port, log_path, token)
    try:
        wait_ready(url, server, READY_TIMEOUT_S, log_path, token)
        latencies = measure(url, n, token=token)
    finally:
        if server is not None:
            stop_server(server)
    stats = summarise(latencies)
    print(f"POST /model/parse, {stats['n']} requests of {len(QUESTIONS[0])} characters on {url}:")
    print("  " + "  ".join(f"{k} {stats[k]:.2f} ms" for k in ("p50", "p90", "p99", "mean", "max")))
    return stats
