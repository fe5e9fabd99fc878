"""Against the real bot: the action server killed mid-conversation. Every message still gets a
reply, an emergency message gets the advice, the health endpoint says what is down, and the
answers resume when the action server is back. Runs after the other adversarial suites (file
order) and restores the action server whatever happens."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.adversarial.test_access import ask

pytestmark = pytest.mark.slow

CHANNELS = ("web", "his", "rest")


def health(bot) -> dict:
    status, _, body = bot.request("GET", "/webhooks/health/")
    assert status == 200, body
    return body


def test_the_bot_answers_safely_without_its_action_server_and_recovers(live_bot):
    senders = {channel: "web-" + uuid.uuid4().hex for channel in CHANNELS}
    assert health(live_bot)["status"] == "ok"
    for channel in CHANNELS:
        answered = ask(live_bot, channel, senders[channel], "感冒有什么症状")
        assert {c["strategy"] for c in answered} & {"answer", "clarify"}, answered

    live_bot.stop("actions")
    try:
        report = health(live_bot)
        assert report["status"] == "degraded" and report["action_server"]["reachable"] is False
        for channel in CHANNELS:
            started = time.monotonic()
            polite = ask(live_bot, channel, senders[channel], "那怎么治疗呢？")
            assert [c["strategy"] for c in polite] == ["service_unavailable"], (channel, polite)
            urgent = ask(live_bot, channel, senders[channel], "我爸突然昏迷了，叫不醒")
            assert [c["strategy"] for c in urgent] == ["emergency", "service_unavailable"], (channel, urgent)
            assert time.monotonic() - started < 10
    finally:
        live_bot.start("actions")

    assert health(live_bot)["status"] == "ok"
    for channel in CHANNELS:
        resumed = ask(live_bot, channel, senders[channel], "感冒有什么症状")
        assert {c["strategy"] for c in resumed} & {"answer", "clarify"}, (channel, resumed)
