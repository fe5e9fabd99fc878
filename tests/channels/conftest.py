"""Fixtures shared by the channel tests."""

from __future__ import annotations

import pytest

from bot.channels.his import HISInput
from tests.channels.server import HIS_TEST_TOKEN, ChannelServer, StubAgent


@pytest.fixture(scope="module")
def his_server():
    """The HIS channel on a real server: token from HIS_TEST_TOKEN, 20-character limit, 1 s timeout."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HIS_TEST_TOKEN", HIS_TEST_TOKEN)
        channel = HISInput.from_credentials(
            {"token_env": "HIS_TEST_TOKEN", "max_message_length": 20, "response_timeout": 1}
        )
    server = ChannelServer([channel], StubAgent(slow_seconds=3)).start()
    yield server
    server.stop()
