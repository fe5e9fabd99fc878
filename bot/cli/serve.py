"""``python -m bot serve`` and ``python -m bot actions``: start the servers with safe defaults.

Why: ``rasa run --enable-api`` without ``--auth-token`` or ``--jwt-secret`` lets anybody
read every patient's transcript, set slots, replace the model or start a training, and
``rasa run actions`` binds every interface. These launchers are what ``make run`` uses:

- the Rasa HTTP API is off unless asked for (``--api`` / ``make run API=1``), and then only
  with a secret from the environment (``RASA_API_TOKEN``, or ``RASA_JWT_SECRET`` with
  ``RASA_JWT_METHOD``); without one the command refuses and says how;
- both servers bind 127.0.0.1 unless ``--host`` says otherwise;
- no server starts without a model file that opens as a complete archive;
- Sanic's own errors (404, 405, an oversized body) are JSON, and with the API off no
  request body may exceed 1 MiB (``SANIC_REQUEST_MAX_SIZE`` overrides).
"""

from __future__ import annotations

import argparse
import os
import sys
import tarfile
from pathlib import Path
from typing import Dict, List, Mapping

from core.paths import PROJECT_ROOT

DEFAULT_HOST = "127.0.0.1"
DEFAULT_MODEL = "models/hospital.tar.gz"
REQUEST_MAX_SIZE_WITHOUT_API = 1024 * 1024
RESTART_BACKOFF = 30.0  # seconds between two restarts of one process by run-scaled


class LaunchError(Exception):
    """The server must not start; the message says what to do instead."""


def rasa_command() -> List[str]:
    """Rasa's CLI with this project's fixes installed first (``python -m bot rasa``, bot/rasa_patches.py)."""
    return [sys.executable, "-m", "bot", "rasa"]


def rasa_executable() -> str:
    """The venv's ``rasa`` next to this interpreter, else the one on PATH."""
    candidate = Path(sys.executable).with_name("rasa")
    return str(candidate) if candidate.exists() else "rasa"


def check_model(path: Path) -> None:
    """Refuse a missing, empty or truncated model archive (reading it to the end finds truncation)."""
    if not path.is_file():
        raise LaunchError(f"no trained model at {path}: run `make train` first")
    try:
        with tarfile.open(path, "r:gz") as archive:
            members = 0
            for member in archive:
                members += 1
                if member.isfile():
                    handle = archive.extractfile(member)
                    while handle is not None and handle.read(1 << 20):
                        pass
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise LaunchError(f"the model {path} is damaged ({exc}): run `make train` to rebuild it") from None
    if not members:
        raise LaunchError(f"the model {path} is empty: run `make train` to rebuild it")


def api_arguments(env: Mapping[str, str]) -> List[str]:
    """The ``rasa run`` flags that enable the HTTP API with authentication, from ``env``."""
    token, secret = env.get("RASA_API_TOKEN", ""), env.get("RASA_JWT_SECRET", "")
    if token:
        return ["--enable-api", "--auth-token", token]
    if secret:
        return ["--enable-api", "--jwt-secret", secret, "--jwt-method", env.get("RASA_JWT_METHOD", "HS256")]
    raise LaunchError(
        "the Rasa HTTP API gives access to every conversation and to the model, so it needs a "
        "secret: set RASA_API_TOKEN (clients add ?token=...) or RASA_JWT_SECRET (clients send "
        "'Authorization: Bearer <JWT>'), e.g. `RASA_API_TOKEN=$(openssl rand -hex 24) make run "
        "API=1`; or leave the API off (make run without API=1)"
    )


def server_environment(env: Mapping[str, str], api: bool) -> Dict[str, str]:
    """``env`` with the Sanic defaults both launchers apply."""
    out = dict(env)
    out.setdefault("SANIC_FALLBACK_ERROR_FORMAT", "json")
    out.setdefault("RASA_TELEMETRY_ENABLED", "false")
    if not api:
        out.setdefault("SANIC_REQUEST_MAX_SIZE", str(REQUEST_MAX_SIZE_WITHOUT_API))
    return out


def serve_command(
    model: Path,
    host: str,
    port: int,
    api: bool,
    env: Mapping[str, str],
    credentials: str = "credentials.yml",
    endpoints: str = "endpoints.yml",
) -> List[str]:
    """The checked ``rasa run`` command line (raises :class:`LaunchError` when it must not start)."""
    check_model(model)
    command = [
        *rasa_command(),
        "run",
        "-i",
        host,
        "-p",
        str(port),
        "-m",
        str(model),
        "--credentials",
        credentials,
        "--endpoints",
        endpoints,
    ]
    return command + (api_arguments(env) if api else [])


def actions_command(port: int) -> List[str]:
    return [rasa_executable(), "run", "actions", "--actions", "bot.actions", "--port", str(port)]


def _exec(command: List[str], env: Dict[str, str]) -> int:
    """Replace this process with ``command`` (signals and exit status go straight to it)."""
    os.chdir(PROJECT_ROOT)
    os.execvpe(command[0], command, env)
    return 0  # not reached


def cmd_serve(args) -> int:
    model = Path(args.model) if Path(args.model).is_absolute() else PROJECT_ROOT / args.model
    env = server_environment(os.environ, args.api)
    try:
        command = serve_command(model, args.host, args.port, args.api, env, args.credentials, args.endpoints)
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _exec(command, env)


def cmd_actions(args) -> int:
    # rasa-sdk binds the interface named by SANIC_HOST (its own default is every interface).
    env = server_environment(os.environ, api=False)
    env["SANIC_HOST"] = args.host
    return _exec(actions_command(args.port), env)


def run_rasa(rasa_args: List[str]) -> int:
    """Rasa's own command line (``rasa train``, ``rasa run``, ...) after ``rasa_patches.install``.

    ``python -m bot`` hands ``rasa ...`` here before parsing anything (Rasa's options, even
    ``--version`` first, pass through unchanged, and Rasa configures its own logging)."""
    from bot import rasa_patches

    rasa_patches.install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *rasa_args]
    try:
        rasa_main()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def cmd_rasa(args) -> int:
    return run_rasa(args.rasa_args)


def cmd_run_scaled(args) -> int:
    """The scaled profile on this machine until Ctrl-C or SIGTERM (tools/cluster.py).

    A process that exits is stopped with what is left of its group and started again, at
    most once every :data:`RESTART_BACKOFF` seconds each; one that cannot start is reported
    and tried again later, while the others keep serving.
    """
    import signal
    import time

    from tools.cluster import Cluster, ClusterSpec, masked_redis_url

    spec = ClusterSpec(
        servers=args.servers,
        workers=args.workers,
        action_workers=args.action_workers,
        port=args.port,
        host=args.host,
        redis_url=args.redis_url or os.environ.get("REDIS_URL") or None,
        rate_limit=args.rate_limit,
        model=Path(args.model) if Path(args.model).is_absolute() else PROJECT_ROOT / args.model,
    )
    try:
        check_model(spec.model)
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)  # leaves the with block: every process is stopped

    signal.signal(signal.SIGTERM, stop)
    redis = masked_redis_url(spec.redis_url) if spec.redis_url else "(local redis-server)"
    print(
        f"starting {spec.servers} Rasa servers x {spec.workers} workers, {spec.action_workers} action "
        f"workers, Redis {redis}; logs in {spec.work / 'logs'}",
        flush=True,
    )
    last_restart: Dict[str, float] = {}
    with Cluster(spec) as cluster:
        print(
            f"web chat: http://{spec.host}:{spec.port}/webhooks/web/  (Ctrl-C stops everything)", flush=True
        )
        while True:
            time.sleep(2)
            for name, process in list(cluster.processes.items()):
                if (
                    process.poll() is None
                    or time.monotonic() - last_restart.get(name, -1e9) < RESTART_BACKOFF
                ):
                    continue
                last_restart[name] = time.monotonic()
                print(f"{name} exited with {process.returncode}: restarting it", file=sys.stderr, flush=True)
                try:
                    cluster.stop(name)  # what is left of its group (workers holding the port)
                    cluster.start(name)
                except (RuntimeError, TimeoutError, OSError) as exc:
                    print(f"{name} did not start again: {exc}", file=sys.stderr, flush=True)


def register(sub) -> None:
    serve = sub.add_parser("serve", help="rasa run with the channels, safe defaults (API off unless --api)")
    serve.add_argument("--model", default=DEFAULT_MODEL, help=f"model archive (default {DEFAULT_MODEL})")
    serve.add_argument("--host", default=DEFAULT_HOST, help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=5005)
    serve.add_argument(
        "--credentials", default="credentials.yml", help="channels file (default credentials.yml)"
    )
    serve.add_argument("--endpoints", default="endpoints.yml", help="endpoints file (default endpoints.yml)")
    serve.add_argument(
        "--api",
        action="store_true",
        help="enable the Rasa HTTP API (needs RASA_API_TOKEN or RASA_JWT_SECRET)",
    )
    serve.set_defaults(handler=cmd_serve)

    rasa = sub.add_parser(
        "rasa",
        help="Rasa's CLI (train, run, test, data validate ...) with the project's fixes (bot/rasa_patches.py)",
    )
    rasa.add_argument(
        "rasa_args", nargs=argparse.REMAINDER, help="arguments for rasa, e.g. train --config config.yml"
    )
    rasa.set_defaults(handler=cmd_rasa)

    scaled = sub.add_parser(
        "run-scaled",
        help="the scaled profile here: Redis, action workers, several Rasa servers behind HAProxy (make run-scaled)",
    )
    scaled.add_argument("--model", default=DEFAULT_MODEL, help=f"model archive (default {DEFAULT_MODEL})")
    scaled.add_argument("--servers", type=int, default=2, help="Rasa servers (default 2)")
    scaled.add_argument("--workers", type=int, default=1, help="Sanic workers per Rasa server (default 1)")
    scaled.add_argument(
        "--action-workers", type=int, default=2, help="action server processes on its one port (default 2)"
    )
    scaled.add_argument(
        "--host", default=DEFAULT_HOST, help="interface the balancer binds (default 127.0.0.1)"
    )
    scaled.add_argument("--port", type=int, default=5005, help="the balancer's port (default 5005)")
    scaled.add_argument(
        "--redis-url",
        default=None,
        help="redis://[user:password@]host:port of a Redis to use (default $REDIS_URL, else a local "
        "redis-server); prefer REDIS_URL, since a password here shows in the process list",
    )
    scaled.add_argument(
        "--rate-limit",
        type=int,
        default=30,
        help="web and REST requests per 10 s per client address at the balancer, then 429 (default 30; 0 = off)",
    )
    scaled.set_defaults(handler=cmd_run_scaled)

    actions = sub.add_parser("actions", help="the action server, bound to 127.0.0.1 unless --host")
    actions.add_argument("--host", default=DEFAULT_HOST, help="interface to bind (default 127.0.0.1)")
    actions.add_argument("--port", type=int, default=5055)
    actions.set_defaults(handler=cmd_actions)
