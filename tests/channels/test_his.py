"""The HIS channel over real HTTP: auth, request checks, limits, payload, request id."""

from __future__ import annotations

import json
import logging

import pytest

from bot.channels.errors import ChannelConfigError
from bot.channels.his import HISInput
from tests.channels.server import HIS_TEST_TOKEN as TOKEN
from tests.channels.server import ChannelServer

URL = "/webhooks/his/webhook"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def server(his_server):
    return his_server


def post(server, body=None, headers=AUTH, raw=None):
    return server.request("POST", URL, body=body, headers=headers, raw=raw)


def test_answer_pairs_text_with_its_custom_payload(server):
    status, _, body = post(server, {"sender": "his-1", "message": "感冒有什么症状", "request_id": "req-42"})
    assert status == 200
    assert body["request_id"] == "req-42"
    assert body["messages"] == [
        {
            "text": "感冒的常见症状有：发热、咳嗽。",
            "custom": {
                "strategy": "answer",
                "intent": "diagnosis",
                "sub_intent": "symptom",
                "confidence": 0.91,
                "disease": "感冒",
                "items": ["发热", "咳嗽"],
                "departments": [],
            },
        }
    ]


def test_several_bot_messages_stay_in_order(server):
    status, _, body = post(server, {"sender": "his-1", "message": "two"})
    assert status == 200
    assert [m["custom"]["strategy"] for m in body["messages"]] == ["answer", "clarify"]
    assert body["messages"][1]["text"] == "您想问的是'感冒'的治疗方法吗？"


def test_request_id_is_generated_when_absent(server):
    first = post(server, {"sender": "his-2", "message": "你好"})[2]["request_id"]
    second = post(server, {"sender": "his-2", "message": "你好"})[2]["request_id"]
    assert isinstance(first, str) and len(first) == 32 and first != second


def test_sender_metadata_and_channel_reach_rasa(server):
    post(
        server,
        {"sender": "patient-7", "message": "你好", "request_id": "r-7", "metadata": {"department": "内科"}},
    )
    message = server.agent.received[-1]
    assert (message.sender_id, message.text, message.input_channel) == ("his:patient-7", "你好", "his")
    assert message.metadata == {"department": "内科", "request_id": "r-7"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": "Bearer "},
        {"Authorization": TOKEN},
        {"Authorization": f"Bearer {TOKEN}x"},
    ],
    ids=["missing", "wrong", "basic-scheme", "empty", "no-scheme", "token-prefix"],
)
def test_refuses_without_the_right_token(server, headers):
    before = len(server.agent.received)
    status, reply_headers, body = post(server, {"sender": "x", "message": "你好"}, headers=headers)
    assert status == 401
    assert body["error"]["code"] == "unauthorized"
    assert reply_headers["www-authenticate"].startswith("Bearer")
    assert len(server.agent.received) == before


def test_bearer_scheme_is_case_insensitive(server):
    status, _, _ = post(
        server, {"sender": "x", "message": "你好"}, headers={"Authorization": f"bearer {TOKEN}"}
    )
    assert status == 200


@pytest.mark.parametrize(
    "raw, code",
    [
        (b"", "malformed_json"),
        (b"{not json", "malformed_json"),
        (b"\xff\xfe", "malformed_json"),
        (b'["sender", "message"]', "malformed_json"),
        (b'{"message": "hi"}', "missing_field"),
        (b'{"sender": "a"}', "missing_field"),
        (b'{"sender": 5, "message": "hi"}', "invalid_field"),
        (b'{"sender": "a", "message": ["hi"]}', "invalid_field"),
        (b'{"sender": "a", "message": "   "}', "invalid_field"),
        (b'{"sender": "", "message": "hi"}', "invalid_field"),
        (b'{"sender": "a", "message": "hi", "metadata": "x"}', "invalid_field"),
        (b'{"sender": "a", "message": "hi", "request_id": 7}', "invalid_field"),
    ],
    ids=lambda v: v if isinstance(v, str) else v.decode("utf-8", "replace")[:30],
)
def test_malformed_bodies_are_400_json(server, raw, code):
    status, _, body = post(server, raw=raw)
    assert status == 400
    assert body["error"]["code"] == code
    assert "Traceback" not in json.dumps(body)


def test_field_errors_echo_a_valid_request_id(server):
    status, _, body = post(server, {"sender": "a", "request_id": "r-9"})
    assert status == 400 and body["request_id"] == "r-9" and body["error"]["field"] == "message"


def test_message_over_the_limit_is_413(server):
    status, _, body = post(server, {"sender": "a", "message": "痛" * 21, "request_id": "long"})
    assert status == 413
    assert body["error"]["code"] == "message_too_long"
    assert body["error"]["max_length"] == 20
    assert body["request_id"] == "long"
    assert post(server, {"sender": "a", "message": "痛" * 20})[0] == 200


def test_oversized_body_is_413(server):
    big = {"sender": "a", "message": "hi", "metadata": {"blob": "x" * (64 * 1024)}}
    status, _, body = post(server, big)
    assert status == 413 and body["error"]["code"] == "body_too_large"


def test_dialogue_failure_is_a_polite_reply_without_traceback(server, caplog):
    with caplog.at_level(logging.ERROR, logger="bot.channels.dialogue"):
        status, _, body = post(server, {"sender": "a", "message": "boom", "request_id": "b-1"})
    assert status == 200 and body["request_id"] == "b-1"
    [message] = body["messages"]
    assert message["custom"]["strategy"] == "service_unavailable" and "120" in message["text"]
    assert "Traceback" not in json.dumps(body) and "simulated" not in json.dumps(body)
    assert any("simulated failure" in (r.exc_text or str(r.exc_info)) for r in caplog.records)


def test_slow_dialogue_gets_the_service_unavailable_reply(server):
    status, _, body = post(server, {"sender": "a", "message": "slow", "request_id": "s-1"})
    assert status == 200 and body["request_id"] == "s-1"
    assert [m["custom"]["strategy"] for m in body["messages"]] == ["service_unavailable"]


def test_health_needs_no_token(server):
    assert server.request("GET", "/webhooks/his/")[:1] == (200,)


def test_unset_token_rejects_everything(monkeypatch):
    monkeypatch.delenv("HIS_TOKEN", raising=False)
    srv = ChannelServer([HISInput.from_credentials({})]).start()
    try:
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer anything"}):
            status, _, body = srv.request("POST", URL, {"sender": "a", "message": "你好"}, headers=headers)
            assert status == 503
            assert body["error"]["code"] == "not_configured" and "HIS_TOKEN" in body["error"]["message"]
        assert srv.agent.received == []
    finally:
        srv.stop()


@pytest.mark.parametrize(
    "credentials, problem",
    [
        ({"token": "inline-secret"}, "unknown settings"),
        ({"max_message_length": 0}, "positive integer"),
        ({"max_message_length": "1000"}, "positive integer"),
        ({"response_timeout": -1}, "positive number"),
        ({"token_env": 5}, "variable name"),
    ],
)
def test_bad_credentials_fail_at_start(credentials, problem):
    with pytest.raises(ChannelConfigError, match=problem):
        HISInput.from_credentials(credentials)


BUTTONS = [{"title": "是", "payload": "/accept"}, {"title": "不是", "payload": "/deny"}]


def test_clarify_replies_carry_the_yes_no_buttons(server):
    status, _, body = post(server, {"sender": "his-b", "message": "clarify"})
    assert status == 200
    [message] = body["messages"]
    assert message["custom"]["strategy"] == "clarify" and message["buttons"] == BUTTONS


@pytest.mark.parametrize("payload", ["/accept", "/deny"])
def test_button_payloads_reach_rasa_as_intents(server, payload):
    post(server, {"sender": "his-b", "message": payload})
    assert server.agent.received[-1].text == payload


RESUME_URL = "/webhooks/his/resume"


def test_resume_sends_the_internal_trigger_for_the_namespaced_sender(server):
    status, _, body = server.request(
        "POST", RESUME_URL, {"sender": "his-7", "request_id": "res-1"}, headers=AUTH
    )
    assert status == 200 and body["request_id"] == "res-1"
    assert [m["custom"]["strategy"] for m in body["messages"]] == ["handoff_resumed"]
    message = server.agent.received[-1]
    assert (message.text, message.sender_id, message.input_channel) == ("/handoff_resume", "his:his-7", "his")
    assert message.metadata == {"request_id": "res-1", "handoff_resume": True}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}])
def test_resume_needs_the_token(server, headers):
    before = len(server.agent.received)
    status, response_headers, body = server.request("POST", RESUME_URL, {"sender": "his-7"}, headers=headers)
    assert status == 401 and body["error"]["code"] == "unauthorized"
    assert response_headers.get("www-authenticate") == 'Bearer realm="his"'
    assert len(server.agent.received) == before


@pytest.mark.parametrize(
    "raw, code",
    [
        (b"", "malformed_json"),
        (b"[]", "malformed_json"),
        (b"{}", "missing_field"),
        (b'{"sender": 7}', "invalid_field"),
        (b'{"sender": "a b"}', "invalid_field"),
    ],
)
def test_resume_bad_bodies_are_400(server, raw, code):
    before = len(server.agent.received)
    status, _, body = server.request("POST", RESUME_URL, raw=raw, headers=AUTH)
    assert status == 400 and body["error"]["code"] == code
    assert len(server.agent.received) == before


def test_a_typed_resume_trigger_is_only_text(server):
    post(server, {"sender": "his-7", "message": "/handoff_resume"})
    assert server.agent.received[-1].text == "\uff0fhandoff_resume"
