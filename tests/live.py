"""The real bot for tests: the action server and ``rasa run`` with the trained model, on 127.0.0.1.

Why one helper: the browser test and the adversarial suite need the bot exactly as
``make run`` starts it (``python -m bot actions`` + ``python -m bot serve``, the
repository's credentials.yml, so every channel is mounted as in production), on free
ports, with logs kept under ``results/`` and the processes stopped whatever happens.
A missing model is a skip locally and a failure under CI (``CI=true``), where ``make
test`` trains it first.
"""
from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

import pytest
import yaml

from tests.channels.server import free_port

ROOT = Path(__file__).resolve().parents[1]
MODEL = Path(os.environ.get("HOSPITAL_MODEL", ROOT / "models" / "hospital.tar.gz"))
START_TIMEOUT = 180


def require_model() -> None:
    """Skip (locally) or fail (CI) when there is no trained model."""
    if MODEL.is_file():
        return
    message = f"no trained model at {MODEL} (make train, or set HOSPITAL_MODEL)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class LiveBot:
    """``with LiveBot(work_dir, ...) as bot:`` — both servers up, stopped on exit.

    ``settings`` overlay ``dialogue.yml`` for the action server; ``env`` adds variables
    (tokens) to both; ``api=True`` serves the Rasa HTTP API (needs ``RASA_API_TOKEN``).
    """

    def __init__(self, work: Path, log_dir: Path, settings: Optional[Mapping[str, Any]] = None,
                 env: Optional[Mapping[str, str]] = None, api: bool = False) -> None:
        self.work, self.log_dir = Path(work), Path(log_dir)
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
            (self.work / "dialogue.yml").write_text(yaml.safe_dump({**base, **self.settings}, allow_unicode=True),
                                                    encoding="utf-8")
            env["DIALOGUE_CONFIG"] = str(self.work / "dialogue.yml")
        endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
        endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{self.action_port}/webhook"
        (self.work / "endpoints.yml").write_text(yaml.safe_dump(endpoints), encoding="utf-8")
        return env

    def __enter__(self) -> "LiveBot":
        env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3", DIALOGUE_SEED="0",
                   **self._files(), **self.extra_env)
        python = sys.executable
        commands = {
            "actions": [python, "-m", "bot", "actions", "--port", str(self.action_port)],
            "rasa": [python, "-m", "bot", "serve", "--port", str(self.port), "--model", str(MODEL),
                     "--endpoints", str(self.work / "endpoints.yml")] + (["--api"] if self.api else []),
        }
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            for name, command in commands.items():
                with open(self.log_dir / f"{name}.log", "w") as log:
                    self.processes[name] = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                                            stderr=subprocess.STDOUT)
            self._wait(f"http://127.0.0.1:{self.action_port}/health", "actions")
            self._wait(f"{self.url}/webhooks/rest/", "rasa")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info: Any) -> None:
        for process in self.processes.values():
            _stop(process)

    def stop_rasa(self) -> None:
        _stop(self.processes["rasa"])

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def _wait(self, url: str, name: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        process = self.processes[name]
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.log(name)[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"{url} did not answer within {START_TIMEOUT} s; see {self.log_dir / name}.log")

    def request(self, method: str, path: str, body: Any = None, headers: Optional[Dict[str, str]] = None,
                raw: Optional[bytes] = None, timeout: float = 60) -> Tuple[int, Dict[str, str], Any]:
        """``(status, lower-cased headers, parsed JSON or text)``; ``body`` is sent as JSON."""
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode("utf-8"))
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
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
