"""The REST channel over real HTTP: Rasa's format, the shared checks, token, stream mode."""

from __future__ import annotations

import http.client
import json

import pytest

from bot.channels.errors import ChannelConfigError
from bot.channels.rest import RestInput
from tests.channels.server import ChannelServer

URL = "/webhooks/rest/webhook"


@pytest.fixture(scope="module")
def server():
    srv = ChannelServer(
        [RestInput.from_credentials({"max_message_length": 20, "response_timeout": 1})]
    ).start()
    yield srv
    srv.stop()


def test_reply_is_rasas_list_with_the_clients_sender(server):
    status, _, body = server.request(
        "POST", URL, {"sender": "u1", "message": "感冒症状", "input_channel": "his"}
    )
    assert status == 200
    assert body[0] == {"recipient_id": "u1", "text": "感冒的常见症状有：发热、咳嗽。"}
    assert body[1]["recipient_id"] == "u1" and body[1]["custom"]["disease"] == "感冒"
    message = server.agent.received[-1]
    assert (message.sender_id, message.input_channel) == (
        "rest:u1",
        "rest",
    )  # input_channel is not the client's


@pytest.mark.parametrize(
    "raw, status, code",
    [
        (b"", 400, "malformed_json"),
        (b"null", 400, "malformed_json"),
        (b'["a"]', 400, "malformed_json"),
        (b'{"sender": "u", "message": 5}', 400, "invalid_field"),
        (b'{"message": "hi"}', 400, "missing_field"),
        (b'{"sender": "u", "message": "hi", "metadata": []}', 400, "invalid_field"),
        (json.dumps({"sender": "u", "message": "痛" * 21}).encode(), 413, "message_too_long"),
        (b'{"sender": "u", "message": "' + b"x" * 70_000 + b'"}', 413, "body_too_large"),
    ],
)
def test_bad_requests_are_json_4xx(server, raw, status, code):
    got, _, body = server.request("POST", URL, raw=raw)
    assert (got, body["error"]["code"]) == (status, code)
    got, _, body = server.request("POST", URL + "?stream=true", raw=raw)
    assert (got, body["error"]["code"]) == (status, code)


def test_dialogue_failure_is_a_polite_reply(server):
    status, _, body = server.request("POST", URL, {"sender": "u", "message": "boom"})
    assert status == 200 and body[-1]["custom"]["strategy"] == "service_unavailable"
    assert "120" in body[0]["text"]


def stream(server, body):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("POST", URL + "?stream=true", body=json.dumps(body).encode())
        resp = conn.getresponse()
        return resp.status, [json.loads(line) for line in resp.read().decode().splitlines() if line.strip()]
    finally:
        conn.close()


def test_stream_sends_one_json_line_per_message(server):
    status, lines = stream(server, {"sender": "u", "message": "two"})
    assert status == 200
    assert [("text" in m, "custom" in m) for m in lines] == [(True, False), (False, True)] * 2
    assert {m["recipient_id"] for m in lines} == {"u"}


@pytest.mark.parametrize("message", ["boom", "slow"])
def test_stream_ends_when_the_dialogue_fails_or_hangs(server, message):
    status, lines = stream(server, {"sender": "u", "message": message})
    assert status == 200 and lines[-1]["custom"]["strategy"] == "service_unavailable"


def test_token_is_required_when_configured(monkeypatch):
    monkeypatch.setenv("REST_TEST_TOKEN", "rest-secret")
    srv = ChannelServer([RestInput.from_credentials({"token_env": "REST_TEST_TOKEN"})]).start()
    try:
        assert srv.request("POST", URL, {"sender": "u", "message": "hi"})[0] == 401
        assert (
            srv.request(
                "POST", URL, {"sender": "u", "message": "hi"}, headers={"Authorization": "Bearer nope"}
            )[0]
            == 401
        )
        assert (
            srv.request(
                "POST",
                URL,
                {"sender": "u", "message": "hi"},
                headers={"Authorization": "Bearer \xff\xfe\xfd"},
            )[0]
            == 401
        )  # not UTF-8
        assert (
            srv.request(
                "POST", URL, {"sender": "u", "message": "hi"}, headers={"Authorization": "Bearer rest-secret"}
            )[0]
            == 200
        )
        monkeypatch.delenv("REST_TEST_TOKEN")
        unset = RestInput.from_credentials({"token_env": "REST_TEST_TOKEN"})
        assert unset.require_token and unset.token is None  # named but unset: closed (503), not open
    finally:
        srv.stop()


def test_unknown_settings_fail_at_start():
    with pytest.raises(ChannelConfigError, match="unknown settings"):
        RestInput.from_credentials({"token": "inline"})


def test_sanic_errors_are_json(server):
    status, headers, _body = server.request("GET", "/webhooks/rest/nothing-here")
    assert status == 404 and headers["content-type"].startswith("application/json")


def test_clarify_replies_carry_the_yes_no_buttons(server):
    status, _, body = server.request("POST", URL, {"sender": "u", "message": "clarify"})
    assert status == 200
    assert body[0]["buttons"] == [
        {"title": "是", "payload": "/accept"},
        {"title": "不是", "payload": "/deny"},
    ]
    assert body[1]["custom"]["strategy"] == "clarify"
