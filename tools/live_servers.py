"""The real bot on free 127.0.0.1 ports: the action server and ``rasa run`` with a trained model.

Why one helper: the benchmarks, the browser test and the adversarial suite need the bot
exactly as ``make run`` starts it (``python -m bot actions`` + ``python -m bot serve``,
the repository's credentials.yml, so every channel is mounted as in production), on free
ports, with logs kept in a folder of the caller's and the processes stopped whatever
happens.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, cast

import yaml

from core.paths import PROJECT_ROOT as ROOT

MODEL = Path(os.environ.get("HOSPITAL_MODEL", ROOT / "models" / "hospital.tar.gz"))
START_TIMEOUT = 180


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_url(url: str, timeout: float, gone: Callable[[], Optional[str]], interval: float = 0.3) -> None:
    """Until ``GET url`` answers 200. ``gone()`` says why the server cannot answer any more (its
    process exited) or None: RuntimeError with that reason; TimeoutError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reason = gone()
        if reason is not None:
            raise RuntimeError(reason)
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(interval)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def wait_until_up(url: str, process: subprocess.Popen, timeout: float) -> None:
    """Until ``GET url`` answers 200; RuntimeError if ``process`` exits first, TimeoutError after ``timeout`` s."""

    def gone() -> Optional[str]:
        if process.poll() is None:
            return None
        command = cast(List[str], process.args)  # started with an argument list (``start``)
        return f"{command[:4]} exited with {process.returncode}"

    wait_for_url(url, timeout, gone)


def http_request(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    headers: Optional[Dict[str, str]] = None,
    raw: Optional[bytes] = None,
    timeout: float = 60,
) -> Tuple[int, Dict[str, str], Any]:
    """One request to 127.0.0.1:``port``: ``(status, lower-cased headers, parsed JSON or text)``.

    ``body`` is sent as JSON, ``raw`` as it is."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode("utf-8"))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=headers or {})
        resp = conn.getresponse()
        payload = resp.read()
        reply_headers = {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()
    text = payload.decode("utf-8", errors="replace")
    if reply_headers.get("content-type", "").startswith("application/json"):
        try:
            return resp.status, reply_headers, json.loads(text)
        except ValueError:
            pass
    return resp.status, reply_headers, text


class LiveBot:
    """``with LiveBot(work_dir, log_dir, ...) as bot:`` — both servers up, stopped on exit.

    ``settings`` overlay ``dialogue.yml`` for the action server; ``env`` adds variables
    (tokens) to both; ``api=True`` serves the Rasa HTTP API (needs ``RASA_API_TOKEN``).
    """

    def __init__(
        self,
        work: Path,
        log_dir: Path,
        settings: Optional[Mapping[str, Any]] = None,
        env: Optional[Mapping[str, str]] = None,
        api: bool = False,
        model: Path = MODEL,
    ) -> None:
        self.work, self.log_dir, self.model = Path(work), Path(log_dir), Path(model)
        self.settings, self.extra_env, self.api = dict(settings or {}), dict(env or {}), api
        self.action_port, self.port = free_port(), free_port()
        self.processes: Dict[str, subprocess.Popen] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _files(self) -> Dict[str, str]:
        env: Dict[str, str] = {}
        if self.settings:
            base = yaml.safe_load((ROOT / "dialogue.yml").read_text(encoding="utf-8")) or {}
            (self.work / "dialogue.yml").write_text(
                yaml.safe_dump({**base, **self.settings}, allow_unicode=True), encoding="utf-8"
            )
            env["DIALOGUE_CONFIG"] = str(self.work / "dialogue.yml")
        endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
        endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{self.action_port}/webhook"
        (self.work / "endpoints.yml").write_text(yaml.safe_dump(endpoints), encoding="utf-8")
        return env

    def __enter__(self) -> LiveBot:
        self.env = dict(
            os.environ,
            PYTHONPATH=str(ROOT),
            TF_CPP_MIN_LOG_LEVEL="3",
            DIALOGUE_SEED="0",
            **self._files(),
            **self.extra_env,
        )
        python = sys.executable
        self.commands = {
            "actions": [python, "-m", "bot", "actions", "--port", str(self.action_port)],
            "rasa": [
                python,
                "-m",
                "bot",
                "serve",
                "--port",
                str(self.port),
                "--model",
                str(self.model),
                "--endpoints",
                str(self.work / "endpoints.yml"),
            ]
            + (["--api"] if self.api else []),
        }
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in self.commands:
            (self.log_dir / f"{name}.log").write_text("")
        try:
            self.start("actions")
            self.start("rasa")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info: Any) -> None:
        for process in self.processes.values():
            _stop(process)

    def start(self, name: str) -> None:
        """(Re)start ``actions`` or ``rasa`` and wait until it answers (its log is appended to)."""
        with open(self.log_dir / f"{name}.log", "a") as log:
            self.processes[name] = subprocess.Popen(
                self.commands[name], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        ready = (
            f"http://127.0.0.1:{self.action_port}/health"
            if name == "actions"
            else f"{self.url}/webhooks/rest/"
        )
        self._wait(ready, name)

    def stop(self, name: str) -> None:
        """Stop ``actions`` or ``rasa`` (SIGTERM, then SIGKILL after 15 s)."""
        _stop(self.processes[name])

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def _wait(self, url: str, name: str) -> None:
        try:
            wait_until_up(url, self.processes[name], START_TIMEOUT)
        except RuntimeError as exc:
            raise RuntimeError(f"{name}: {exc}:\n{self.log(name)[-3000:]}") from None
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}; see {self.log_dir / name}.log") from None

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Optional[Dict[str, str]] = None,
        raw: Optional[bytes] = None,
        timeout: float = 60,
    ) -> Tuple[int, Dict[str, str], Any]:
        """``(status, lower-cased headers, parsed JSON or text)``; ``body`` is sent as JSON."""
        return http_request(self.port, method, path, body, headers, raw, timeout)
