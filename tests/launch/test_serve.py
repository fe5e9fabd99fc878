"""``python -m bot serve`` / ``actions``: the API needs a secret, servers bind 127.0.0.1,
and no server starts without a complete model archive."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.cli import serve as cli_serve
from bot.cli.serve import LaunchError, api_arguments, check_model, serve_command, server_environment
from core.paths import PROJECT_ROOT


def archive(path: Path) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        data = b"x" * 200_000
        info = tarfile.TarInfo("components/blob.bin")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


def test_the_api_needs_a_token_or_a_jwt_secret():
    with pytest.raises(LaunchError, match="RASA_API_TOKEN"):
        api_arguments({})
    assert api_arguments({"RASA_API_TOKEN": "t"}) == ["--enable-api", "--auth-token", "t"]
    assert api_arguments({"RASA_JWT_SECRET": "s"}) == [
        "--enable-api",
        "--jwt-secret",
        "s",
        "--jwt-method",
        "HS256",
    ]


def test_without_api_no_flag_enables_it(tmp_path):
    command = serve_command(archive(tmp_path / "m.tar.gz"), "127.0.0.1", 5005, False, {})
    assert "--enable-api" not in command and command[command.index("-i") + 1] == "127.0.0.1"
    assert server_environment({}, api=False)["SANIC_REQUEST_MAX_SIZE"] == str(1024 * 1024)
    assert "SANIC_REQUEST_MAX_SIZE" not in server_environment({}, api=True)  # PUT /model needs room


def test_missing_empty_and_truncated_models_are_refused(tmp_path):
    with pytest.raises(LaunchError, match="make train"):
        check_model(tmp_path / "absent.tar.gz")
    (tmp_path / "empty.tar.gz").write_bytes(b"")
    with pytest.raises(LaunchError, match="damaged"):
        check_model(tmp_path / "empty.tar.gz")
    whole = archive(tmp_path / "whole.tar.gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(LaunchError, match="damaged"):
        check_model(tmp_path / "cut.tar.gz")
    check_model(tmp_path / "whole.tar.gz")


def run_cli(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_serve_refuses_the_api_without_a_secret_and_says_how(tmp_path):
    model = archive(tmp_path / "m.tar.gz")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RASA_API", "RASA_JWT"))}
    result = run_cli("serve", "--model", str(model), "--api", env={**env, "PYTHONPATH": str(PROJECT_ROOT)})
    assert result.returncode == 2 and "RASA_API_TOKEN" in result.stderr


def test_serve_refuses_without_a_model(tmp_path):
    result = run_cli("serve", "--model", str(tmp_path / "none.tar.gz"))
    assert result.returncode == 2 and "make train" in result.stderr


def test_the_action_server_binds_loopback(monkeypatch):
    seen = {}
    monkeypatch.setattr(cli_serve, "_exec", lambda command, env: seen.update(command=command, env=env) or 0)
    parser = build_parser()
    args = parser.parse_args(["actions", "--port", "5999"])
    args.handler(args)
    assert seen["env"]["SANIC_HOST"] == "127.0.0.1"
    assert seen["command"][1:] == ["run", "actions", "--actions", "bot.actions", "--port", "5999"]


def test_makefile_starts_servers_through_the_launchers():
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--enable-api" not in makefile and "run actions" not in makefile
    assert "-m bot serve" in makefile and "-m bot actions" in makefile
