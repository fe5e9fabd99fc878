"""A story whose expectations the bot does not meet makes ``python -m tools.run_stories`` fail:
once for a wrong strategy (only the replay can see it) and once for a wrong action (rasa test
core sees it). Needs the trained model that ``make test`` builds before pytest."""

import socket
import subprocess
import sys

import pytest

from bot.settings import PROJECT_ROOT

MODEL = PROJECT_ROOT / "models" / "hospital.tar.gz"
pytestmark = pytest.mark.slow

BROKEN = """version: "3.1"
stories:
- story: greeting claimed to be an answer
  steps:
  - intent: greet
  - action: action_gossip
  - slot_was_set:
    - strategies: [answer]
- story: goodbye claimed to run the medical action
  steps:
  - intent: goodbye
  - action: action_medical_answer
  - slot_was_set:
    - strategies: [gossip]
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.skipif(not MODEL.exists(), reason="no trained model (make train)")
def test_broken_stories_fail_the_command(tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "test_broken.yml").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "suites.yml").write_text("suites:\n  broken:\n    stories: broken\n", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.run_stories",
            "--model",
            str(MODEL),
            "--stories",
            str(tmp_path),
            "--port",
            str(free_port()),
            "--out",
            str(tmp_path / "results"),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "slot 'strategies' = ['gossip'], story says ['answer']" in result.stderr
    assert "rasa test core exited with 1" in result.stderr
    assert "story tests: FAILED" in result.stderr
