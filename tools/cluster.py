"""The scaled profile on one machine: Redis, action servers, several Rasa servers and HAProxy.

Why one launcher: ``make run-scaled``, the multi-server tests and the load benchmark need
the same set of processes, configured the same way (``endpoints.scaled.yml``), on
127.0.0.1 and stopped whatever happens:

- ``redis``: a local ``redis-server`` (Debian package) keeping its snapshot in
  ``<work>/redis`` (saved every 60 s with a change and at shutdown), unless a Redis URL is
  given;
- ``actions``: one action server, ``action_workers`` Sanic processes on one port;
- ``rasa0`` … ``rasaN``: ``servers`` Rasa servers (``python -m bot serve``), each with
  ``workers`` Sanic worker processes, all sharing conversations and locks through Redis;
- ``balancer``: HAProxy on ``port``, round robin over the Rasa servers with health checks,
  a retry on another server when one refuses the connection, and an optional per-address
  rate limit on the web and REST channels (``rate_limit`` requests per 10 s; 0 = off).

Each process runs in its own session, so stopping or killing one takes its workers too.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

from core.paths import PROJECT_ROOT
from tools.live_servers import MODEL, free_port, wait_for_url

ENDPOINTS = PROJECT_ROOT / "endpoints.scaled.yml"
START_TIMEOUT = 300.0
STOP_TIMEOUT = 15.0
SERVER_MAXCONN_PER_WORKER = 4  # messages in one Rasa worker at once; more wait at the balancer
TICKET_LOCK_LIFETIME = 20  # seconds; above the channels' 15-second reply timeout
RATE_WINDOW = "10s"
RATE_LIMITED_PATHS = ("/webhooks/web/", "/webhooks/rest/")
READY_LINE = "Rasa server is up and running."
# What the balancer answers itself, in the channels' error shape: the channels' own
# "service unavailable" text (domain.yml, with the 120 line), and this when rate-limited.
RATE_MESSAGE = "请求过于频繁，请稍后再试。如遇紧急情况，请立即拨打120。"


@dataclass
class ClusterSpec:
    """What to start; ports 0 mean free ports chosen at start."""

    servers: int = 2
    workers: int = 1
    action_workers: int = 2
    port: int = 5005
    host: str = "127.0.0.1"
    redis_url: Optional[str] = None
    rate_limit: int = 30
    balancer: bool = True
    model: Path = MODEL
    work: Path = PROJECT_ROOT / "var" / "scaled"
    env: Dict[str, str] = field(default_factory=dict)

    def check(self) -> None:
        for name in ("servers", "workers", "action_workers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.rate_limit < 0:
            raise ValueError(f"rate_limit must be 0 (off) or positive, got {self.rate_limit}")


def parse_redis_url(url: str) -> Tuple[str, int, str, str]:
    """``redis://[[user]:password@]host[:port]`` → (host, port, user, password).

    TLS (``rediss://``) is configured in the store blocks instead (``use_ssl: true``)."""
    parts = urlsplit(url if "://" in url else f"redis://{url}")
    if parts.scheme not in ("redis", "") or not parts.hostname:
        raise ValueError(
            f"not a redis://host:port URL (for TLS set use_ssl in endpoints.scaled.yml): {url!r}"
        )
    return parts.hostname, parts.port or 6379, parts.username or "", parts.password or ""


def masked_redis_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for logs and the terminal)."""
    parts = urlsplit(url if "://" in url else f"redis://{url}")
    if not parts.password:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme or 'redis'}://{user}:***@{host}{port}"


def _binary(name: str) -> str:
    binary = shutil.which(name)
    if binary is None:
        raise FileNotFoundError(f"{name} not found: run scripts/install_system_packages.sh")
    return binary


def redis_binary() -> str:
    return _binary("redis-server")


def haproxy_binary() -> str:
    return _binary("haproxy")


def redis_command(binary: str, port: int, directory: Optional[Path]) -> List[str]:
    """``redis-server`` on 127.0.0.1:``port``; with a ``directory`` it keeps a snapshot there
    (every 60 s after a change, and at shutdown), without one it keeps nothing on disk."""
    persistence = ("--dir", str(directory), "--save", "60 1") if directory else ("--save", "")
    return [
        binary,
        *("--bind", "127.0.0.1", "--port", str(port), "--protected-mode", "yes"),
        *persistence,
        *("--appendonly", "no", "--daemonize", "no"),
    ]


def wait_for_redis(port: int, timeout: float, gone: Callable[[], Optional[str]]) -> None:
    """Until Redis on 127.0.0.1:``port`` answers PING; RuntimeError when ``gone()`` gives a reason."""
    import redis

    deadline = time.monotonic() + timeout
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=2)
    try:
        while True:
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                reason = gone()
                if reason is not None:
                    raise RuntimeError(reason) from None
                if time.monotonic() > deadline:
                    raise TimeoutError(f"redis-server on port {port} did not answer") from None
                time.sleep(0.1)
    finally:
        client.close()


def unavailable_text() -> str:
    """The first variation of ``utter_service_unavailable``, the hospital's contact filled in."""
    from bot.responses import texts
    from bot.settings import load_settings

    return texts("utter_service_unavailable", hospital_contact=load_settings().hospital_contact)[0]


def _json_error(code: str, message: str) -> str:
    """The channels' error body, for a single-quoted HAProxy string."""
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False)
    if "'" in body:
        raise ValueError(f"a quote in the balancer's {code} message")
    return body


def haproxy_config(spec: ClusterSpec, server_ports: List[int]) -> str:
    """HAProxy's configuration for ``spec`` in front of ``server_ports`` (all on 127.0.0.1)."""
    unavailable = _json_error("service_unavailable", unavailable_text())
    limited = _json_error("rate_limited", RATE_MESSAGE)
    lines = [
        "global",
        "    maxconn 4096",
        "    log stdout format raw local0",
        "defaults",
        "    mode http",
        "    log global",
        "    option httplog",
        "    timeout connect 2s",
        "    timeout client 30s",
        "    timeout server 30s",
        "    timeout http-request 10s",
        "    option forwardfor",
        # A new server connection per request: a connection kept open to a server that then
        # went away would fail a message instead of being retried on another server.
        "    option http-server-close",
        "    option redispatch",
        "    retries 2",
        # Only a refused connection is retried elsewhere: a message a server was already given is
        # never sent twice (it may have been answered and saved before the server went away).
        "    retry-on conn-failure",
        *(
            f"    http-error status {status} content-type application/json string '{unavailable}'"
            for status in (502, 503, 504)
        ),
        "frontend chat",
        f"    bind {spec.host}:{spec.port}",
    ]
    if spec.rate_limit:
        paths = " ".join(RATE_LIMITED_PATHS)
        lines += [
            f"    stick-table type ip size 200k expire 60s store http_req_rate({RATE_WINDOW})",
            f"    acl limited_path path_beg {paths}",
            "    http-request track-sc0 src if limited_path",
            f"    http-request return status 429 content-type application/json hdr Retry-After 10 "
            f"string '{limited}' if limited_path {{ sc_http_req_rate(0) gt {spec.rate_limit} }}",
        ]
    lines += [
        "    default_backend rasa",
        "backend rasa",
        "    balance roundrobin",
        "    option httpchk GET /webhooks/rest/",
        "    http-check expect status 200",
        # A busy server is not a dead one: a check may take 5 s, and three must fail in a row.
        # At most SERVER_MAXCONN_PER_WORKER messages per worker are in a server at once; the
        # rest wait here (up to 15 s, the channels' reply timeout), so checks and new
        # conversations do not queue behind a backlog inside the server.
        "    timeout check 5s",
        "    timeout queue 15s",
        f"    default-server inter 1s fall 3 rise 2 maxconn {SERVER_MAXCONN_PER_WORKER * spec.workers}",
        *(f"    server rasa{i} 127.0.0.1:{port} check" for i, port in enumerate(server_ports)),
    ]
    return "\n".join(lines) + "\n"


def _terminate(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Signal ``process``'s whole session (its Sanic workers too) and wait for it."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    _wait_group_gone(process.pid)


def _wait_group_gone(group: int) -> None:
    """Until no process of session ``group`` is left: its workers share the listening socket,
    which accepts connections until the last of them is gone."""
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


class Cluster:
    """``with Cluster(spec) as cluster:`` — every process up and answering, all stopped on exit."""

    def __init__(self, spec: ClusterSpec) -> None:
        spec.check()
        self.spec = spec
        self.work = Path(spec.work)
        self.log_dir = self.work / "logs"
        self.processes: Dict[str, subprocess.Popen] = {}
        self.commands: Dict[str, List[str]] = {}
        self.envs: Dict[str, Dict[str, str]] = {}
        self.server_ports: List[int] = []
        self.log_offsets: Dict[str, int] = {}  # where each process's latest start begins in its log
        self.action_port = 0
        self.redis_port = 0

    # -- addresses ----------------------------------------------------------------------
    @property
    def port(self) -> int:
        """Where clients connect: the balancer, or the first Rasa server without one."""
        return self.spec.port if self.spec.balancer else self.server_ports[0]

    @property
    def server_names(self) -> List[str]:
        return [f"rasa{i}" for i in range(self.spec.servers)]

    # -- lifecycle ----------------------------------------------------------------------
    def __enter__(self) -> Cluster:
        try:
            self._prepare()
            if "redis" in self.commands:
                self.start("redis")
            self.start("actions")
            for name in self.server_names:  # started together: they load their models in parallel
                self._spawn(name)
            for name in self.server_names:
                self._wait_ready(name)
            if self.spec.balancer:
                self.start("balancer")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info: Any) -> None:
        for name in reversed(list(self.processes)):
            _terminate(self.processes[name])

    def _prepare(self) -> None:
        spec = self.spec
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if spec.balancer and not spec.port:
            spec.port = free_port()
        self.action_port = free_port()
        self.server_ports = [free_port() for _ in range(spec.servers)]
        base = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), TF_CPP_MIN_LOG_LEVEL="3", **spec.env)
        if spec.redis_url:
            host, port, user, password = parse_redis_url(spec.redis_url)
        else:
            binary = redis_binary()
            host, port, user, password = "127.0.0.1", free_port(), "", ""
            # The snapshot holds conversations: only this user may read it.
            (self.work / "redis").mkdir(mode=0o700, exist_ok=True)
            os.chmod(self.work / "redis", 0o700)
            self.commands["redis"] = redis_command(binary, port, self.work / "redis")
            self.envs["redis"] = base
        self.redis_port = port
        python = sys.executable
        self.commands["actions"] = [python, "-m", "bot", "actions", "--port", str(self.action_port)]
        self.envs["actions"] = dict(base, SANIC_WORKERS=str(spec.action_workers))
        server_env = dict(
            base,
            SANIC_WORKERS=str(spec.workers),
            TICKET_LOCK_LIFETIME=str(TICKET_LOCK_LIFETIME),
            REDIS_HOST=host,
            REDIS_PORT=str(port),
            REDIS_USERNAME=user,
            REDIS_PASSWORD=password,
            ACTION_ENDPOINT_URL=f"http://127.0.0.1:{self.action_port}/webhook",
        )
        for name, server_port in zip(self.server_names, self.server_ports):
            self.commands[name] = [
                *(python, "-m", "bot", "serve", "--port", str(server_port)),
                *("--model", str(spec.model), "--endpoints", str(ENDPOINTS)),
            ]
            self.envs[name] = server_env
        if spec.balancer:
            config = self.work / "haproxy.cfg"
            config.write_text(haproxy_config(spec, self.server_ports), encoding="utf-8")
            self.commands["balancer"] = [haproxy_binary(), "-db", "-f", str(config)]
            self.envs["balancer"] = base
        for name in self.commands:
            (self.log_dir / f"{name}.log").write_text("")

    def _spawn(self, name: str) -> None:
        path = self.log_dir / f"{name}.log"
        self.log_offsets[name] = path.stat().st_size if path.exists() else 0
        with open(path, "a") as log:
            self.processes[name] = subprocess.Popen(
                self.commands[name],
                cwd=PROJECT_ROOT,
                env=self.envs[name],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start(self, name: str) -> None:
        """(Re)start one process and wait until it answers (its log is appended to)."""
        self._spawn(name)
        self._wait_ready(name)

    def stop(self, name: str) -> None:
        """SIGTERM (then SIGKILL after 15 s) to one process and its workers."""
        _terminate(self.processes[name])

    def kill(self, name: str) -> None:
        """SIGKILL to one process and its workers, as when a machine goes away."""
        _terminate(self.processes[name], signal.SIGKILL)

    def log(self, name: str, latest_start: bool = False) -> str:
        """The process's log (``latest_start``: only what its latest start wrote)."""
        data = (self.log_dir / f"{name}.log").read_bytes()
        return data[self.log_offsets.get(name, 0) if latest_start else 0 :].decode("utf-8", errors="replace")

    def _gone(self, name: str) -> Optional[str]:
        process = self.processes[name]
        if process.poll() is None:
            return None
        return f"{name} exited with {process.returncode}:\n{self.log(name)[-3000:]}"

    def _wait_ready(self, name: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        if name == "redis":
            self._wait_redis(deadline)
        elif name == "actions":
            wait_for_url(
                f"http://127.0.0.1:{self.action_port}/health", START_TIMEOUT, lambda: self._gone(name)
            )
        elif name == "balancer":
            # Rasa's "/" through the balancer: not a rate-limited path.
            wait_for_url(f"http://127.0.0.1:{self.spec.port}/", 30, lambda: self._gone(name))
        else:  # a Rasa server: every worker has loaded the model, then the REST channel answers
            while self.log(name, latest_start=True).count(READY_LINE) < self.spec.workers:
                reason = self._gone(name)
                if reason is not None:
                    raise RuntimeError(reason)
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} not up within {START_TIMEOUT:.0f} s; see {self.log_dir}")
                time.sleep(0.5)
            port = self.server_ports[self.server_names.index(name)]
            wait_for_url(f"http://127.0.0.1:{port}/webhooks/rest/", 30, lambda: self._gone(name))

    def _wait_redis(self, deadline: float) -> None:
        wait_for_redis(self.redis_port, deadline - time.monotonic(), lambda: self._gone("redis"))
