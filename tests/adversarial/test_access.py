"""Against the real bot: the Rasa API needs its token, channels never share a conversation,
and text typed as ``/intent{...}`` sets no slot."""

from __future__ import annotations

import json
import uuid
from typing import Any, Dict, List

import pytest

from tests.adversarial.conftest import API_TOKEN, HIS_TOKEN

pytestmark = pytest.mark.slow

HIS_AUTH = {"Authorization": f"Bearer {HIS_TOKEN}"}


def web_sender() -> str:
    return "web-" + uuid.uuid4().hex


def customs(channel: str, body: Any) -> List[Dict[str, Any]]:
    """The ``custom`` payloads of a reply, whatever the channel's format."""
    if channel == "rest":
        return [m["custom"] for m in body if "custom" in m]
    return [m["custom"] for m in body["messages"] if m.get("custom")]


def ask(bot, channel: str, sender: str, message: str) -> List[Dict[str, Any]]:
    path = {"web": "/webhooks/web/webhook", "his": "/webhooks/his/webhook", "rest": "/webhooks/rest/webhook"}
    headers = HIS_AUTH if channel == "his" else {}
    status, _, body = bot.request(
        "POST", path[channel], {"sender": sender, "message": message}, headers=headers
    )
    assert status == 200, body
    return customs(channel, body)


def tracker(bot, conversation: str) -> Dict[str, Any]:
    status, _, body = bot.request("GET", f"/conversations/{conversation}/tracker?token={API_TOKEN}")
    assert status == 200, body
    return body


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("GET", "/conversations/web:x/tracker", None),
        ("POST", "/conversations/web:x/tracker/events", {"event": "slot", "name": "disease", "value": "x"}),
        ("POST", "/conversations/web:x/messages", {"text": "hi", "sender": "user"}),
        ("PUT", "/model", {"model_file": "/tmp/x.tar.gz"}),
        ("POST", "/model/train", {}),
        ("POST", "/model/parse", {"text": "感冒"}),
        ("GET", "/domain", None),
        ("GET", "/status", None),
    ],
)
@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_the_api_refuses_without_its_token(live_bot, method, path, body, token):
    query = f"?token={token}" if token else ""
    status, _, reply = live_bot.request(method, path + query, body)
    assert status in (401, 403), (status, reply)
    assert "Traceback" not in json.dumps(reply, ensure_ascii=False)


def test_the_api_answers_with_its_token(live_bot):
    status, _, body = live_bot.request("GET", f"/status?token={API_TOKEN}")
    assert status == 200 and body.get("model_file")


@pytest.mark.parametrize("first, second", [("web", "rest"), ("web", "his"), ("his", "rest"), ("rest", "web")])
def test_a_conversation_is_invisible_to_other_channels(live_bot, first, second):
    sender = web_sender()  # valid on every channel
    answered = ask(live_bot, first, sender, "感冒有什么症状")
    assert any(c.get("disease") == "感冒" for c in answered), answered
    # The same sender string on another channel is a new conversation: no disease to carry.
    follow_up = ask(live_bot, second, sender, "那怎么治疗呢？")
    assert all(c.get("disease") != "感冒" for c in follow_up), follow_up
    assert {c["strategy"] for c in follow_up} & {"ask_slot", "fallback", "deny", "clarify"}, follow_up
    # ... and the first channel still has its own context.
    again = ask(live_bot, first, sender, "那怎么治疗呢？")
    assert any(c.get("disease") == "感冒" for c in again), again
    assert tracker(live_bot, f"{first}:{sender}")["slots"]["disease"] == "感冒"
    assert tracker(live_bot, f"{second}:{sender}")["slots"]["disease"] is None


@pytest.mark.parametrize(
    "typed",
    [
        '/diagnosis{"disease": {"a": 1}}',
        '/diagnosis{"disease": "<b>感冒</b>"}',
        ' /diagnosis{"disease": "感冒"}',
        '/accept{"disease": "感冒"}',
    ],
)
@pytest.mark.parametrize("channel", ["web", "his", "rest"])
def test_typed_intents_set_no_slot(live_bot, channel, typed):
    sender = web_sender()
    replies = ask(live_bot, channel, sender, typed)
    assert replies and all(c.get("disease") in (None, "感冒") for c in replies)
    events = tracker(live_bot, f"{channel}:{sender}")["events"]
    user = [e for e in events if e["event"] == "user"]
    assert user and not user[-1]["text"].lstrip().startswith("/")  # reached Rasa as text
    assert all(isinstance(e["value"], str) and e.get("extractor") for e in user[-1]["parse_data"]["entities"])
    slots = [e for e in events if e["event"] == "slot" and e["name"] == "disease"]
    assert all(isinstance(e["value"], (str, type(None))) and "<" not in (e["value"] or "") for e in slots)


def test_button_payloads_still_reach_rasa_as_intents(live_bot):
    sender = web_sender()
    ask(live_bot, "web", sender, "/deny")
    user = [e for e in tracker(live_bot, f"web:{sender}")["events"] if e["event"] == "user"]
    assert user[-1]["text"] == "/deny" and user[-1]["parse_data"]["intent"]["name"] == "deny"
