"""One real bot for the adversarial suites: every channel, the Rasa API on with a token.

Started once per test session (model loading takes most of a minute) as ``make run API=1``
would start it, with tokens for the HIS channel and the Rasa HTTP API; the REST channel is
configured as in the repository's credentials.yml.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from core.paths import PROJECT_ROOT
from tests.live import LiveBot, require_model

HIS_TOKEN = "adversarial-his-token-5b1e"
API_TOKEN = "adversarial-api-token-93c7"
WEB_SENDER = "web-5f0c2b9a7d3e4f61a8b0c1d2e3f4a5b6"


@pytest.fixture(scope="session")
def live_bot(tmp_path_factory) -> Iterator[LiveBot]:
    require_model()
    work = tmp_path_factory.mktemp("adversarial")
    # Its own unanswered log: hostile test text never lands in the project's var/ database.
    env = {
        "HIS_TOKEN": HIS_TOKEN,
        "RASA_API_TOKEN": API_TOKEN,
        "UNANSWERED_DB_URL": f"sqlite:///{work / 'unanswered.sqlite3'}",
    }
    with LiveBot(work, PROJECT_ROOT / "results" / "adversarial", env=env, api=True) as bot:
        yield bot
