"""Run the Rasa conversation test stories against a live action server.

``python -m tests.run_stories --model models/hospital.tar.gz --stories tests/stories``
starts ``rasa run actions`` on 127.0.0.1, waits until it answers, runs
``rasa test core --fail-on-prediction-errors`` and stops the server. Exits non-zero
when any story fails, so ``make test`` fails with it.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wait_for(url: str, timeout: float, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"action server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/hospital.tar.gz")
    parser.add_argument("--stories", default="tests/stories")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--out", default="results/stories")
    args = parser.parse_args(argv)

    env = dict(os.environ, SANIC_HOST="127.0.0.1", PYTHONPATH=str(ROOT))
    env.setdefault("DIALOGUE_SEED", "0")
    rasa = str(Path(sys.executable).parent / "rasa")
    log_path = ROOT / "var" / "actions-test.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        server = subprocess.Popen([rasa, "run", "actions", "--actions", "bot.actions", "--port", str(args.port)],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(f"http://127.0.0.1:{args.port}/health", 120, server)
            cmd = [rasa, "test", "core", "--model", args.model, "--stories", args.stories,
                   "--endpoints", "endpoints.yml", "--out", args.out, "--fail-on-prediction-errors"]
            print("+", " ".join(cmd), flush=True)
            result = subprocess.run(cmd, cwd=ROOT, env=env)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    failed = ROOT / args.out / "failed_test_stories.yml"
    if failed.exists() and "None of the test stories failed" not in failed.read_text(encoding="utf-8"):
        print(failed.read_text(encoding="utf-8"), file=sys.stderr)
        print("story tests: FAILED (see above)", file=sys.stderr)
        return 1
    if result.returncode != 0:
        print(f"rasa test exited with {result.returncode}; action server log: {log_path}", file=sys.stderr)
        return result.returncode
    print("story tests: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
