"""Start and stop a throw-away FalkorDB server (redis-server + falkordb.so) with Bolt on.

The binaries come from ``scripts/fetch_falkordb.sh`` (``var/falkordb/``, or
``FALKORDB_DIR``). Servers bind to 127.0.0.1 on ports from 17687-17699, keep nothing
on disk (``--save ''``, a temporary working directory) and are killed by :meth:`stop`.
FalkorDB's Bolt endpoint is experimental: it crashes on messages over about 4 KB,
so callers keep batches and strings small (see ``tests/kg/conftest.py``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import List, Optional

from core.paths import PROJECT_ROOT

PORT_RANGE = range(17687, 17700)


def binaries_dir() -> Path:
    return Path(os.environ.get("FALKORDB_DIR", PROJECT_ROOT / "var" / "falkordb"))


def binaries_present() -> bool:
    folder = binaries_dir()
    return os.access(folder / "redis-server", os.X_OK) and (folder / "falkordb.so").is_file()


def fetch_binaries() -> bool:
    """Run the fetch script once if the binaries are missing; True when they are there after."""
    if binaries_present():
        return True
    script = PROJECT_ROOT / "scripts" / "fetch_falkordb.sh"
    try:
        subprocess.run(
            ["bash", str(script)],
            check=True,
            timeout=300,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except (subprocess.SubprocessError, OSError):
        return False
    return binaries_present()


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int, exclude: tuple = ()) -> List[int]:
    ports = [p for p in PORT_RANGE if p not in exclude and _port_free(p)][:count]
    if len(ports) < count:
        raise RuntimeError(f"fewer than {count} free ports in {PORT_RANGE.start}-{PORT_RANGE.stop - 1}")
    return ports


class FalkorDBServer:
    """One redis-server process with the FalkorDB module and its Bolt listener."""

    def __init__(self) -> None:
        self.process: Optional[subprocess.Popen] = None
        self.redis_port = self.bolt_port = 0
        self._workdir = tempfile.TemporaryDirectory(prefix="falkordb-")
        self.log_path = Path(self._workdir.name) / "server.log"

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    def start(self, timeout: float = 10.0) -> FalkorDBServer:
        folder = binaries_dir()
        self.redis_port, self.bolt_port = free_ports(2)
        command = [
            str(folder / "redis-server"),
            "--port",
            str(self.redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            self._workdir.name,
            "--loadmodule",
            str((folder / "falkordb.so").resolve()),
            "BOLT_PORT",
            str(self.bolt_port),
        ]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, cwd=self._workdir.name
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"falkordb exited at start:\n{self.log()}")
            if self._accepts(self.bolt_port):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"falkordb did not open its Bolt port in {timeout} s:\n{self.log()}")

    @staticmethod
    def _accepts(port: int) -> bool:
        # A bare connect and close: no Bolt GOODBYE, which would upset the next handshake.
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None
        self._workdir.cleanup()

    def __enter__(self) -> FalkorDBServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
