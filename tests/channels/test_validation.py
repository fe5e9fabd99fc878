"""The one request validator of every channel (bot/channels/validation.py), piece by piece."""

from __future__ import annotations

import json

import pytest

from bot.channels.errors import RequestError
from bot.channels.validation import (
    MAX_JSON_DEPTH,
    NEUTRAL_PREFIX,
    id_field,
    json_depth,
    message_field,
    namespaced,
    neutralise_commands,
    parse_json_object,
)
from safety.text import clean_text


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("感冒\x00有什么症状", "感冒有什么症状"),
        ("\x1b[31m感冒\x1b[0m", "[31m感冒[0m"),
        ("感\u200b冒\u202e\ufeff", "感冒"),
        ("第一行\n第二行\t完", "第一行 第二行 完"),
        ("lone \ud800 surrogate \udfff", "lone  surrogate "),
        ("正常的问题？", "正常的问题？"),
    ],
)
def test_clean_text_removes_what_no_patient_typed(raw, expected):
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    "typed, expected",
    [
        ('/diagnosis{"disease": "感冒"}', NEUTRAL_PREFIX + 'diagnosis{"disease": "感冒"}'),
        ("  /greet", "  " + NEUTRAL_PREFIX + "greet"),
        ("/accept", "/accept"),
        (" /deny ", "/deny"),
        ('/accept{"disease": "x"}', NEUTRAL_PREFIX + 'accept{"disease": "x"}'),
        ("感冒/发烧怎么办", "感冒/发烧怎么办"),
    ],
)
def test_only_button_payloads_stay_intents(typed, expected):
    assert neutralise_commands(typed) == expected


def test_messages_are_cleaned_and_checked():
    assert message_field({"message": "\x00/greet"}, 100) == NEUTRAL_PREFIX + "greet"
    with pytest.raises(RequestError) as blank:
        message_field({"message": "\x00\u200b\x07"}, 100)
    assert blank.value.status == 400 and blank.value.details["field"] == "message"
    with pytest.raises(RequestError) as long:
        message_field({"message": "痛" * 101}, 100)
    assert long.value.status == 413 and long.value.code == "message_too_long"


@pytest.mark.parametrize("sender", ["a b", "a\nb", "a\x00", " a", "\ud800", "x" * 129, 5, ["a"]])
def test_ids_are_printable_strings(sender):
    with pytest.raises(RequestError) as error:
        id_field({"sender": sender}, "sender")
    assert error.value.status == 400


def test_channels_name_their_conversations():
    assert namespaced("web", "abc") == "web:abc" != namespaced("rest", "abc")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"  ",
        b"null",
        b"[]",
        b'"text"',
        b"12",
        b"{",
        b"\xff\xfe",
        b'{"a": NaN',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    ],
)
def test_bad_bodies_are_400(body):
    with pytest.raises(RequestError) as error:
        parse_json_object(body)
    assert error.value.status == 400 and error.value.code == "malformed_json"


def test_depth_is_bounded():
    shallow = {"metadata": {"a": [1, {"b": 2}]}}
    assert json_depth(shallow) == 4
    assert parse_json_object(json.dumps(shallow).encode()) == shallow
    deep: dict = {}
    node = deep
    for _ in range(MAX_JSON_DEPTH):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(RequestError):
        parse_json_object(json.dumps(deep).encode())


# ---------------------------------------------------------------- the channels' safety net
@pytest.fixture(scope="module")
def channels():
    from bot.channels.his import HISInput
    from bot.channels.rest import RestInput
    from bot.channels.web_widget import WebWidgetInput
    from tests.channels.server import ChannelServer

    srv = ChannelServer([WebWidgetInput(), HISInput(token="t"), RestInput()]).start()
    yield srv
    srv.stop()


def strategies(server, channel: str, message: str):
    path = {"web": "/webhooks/web/webhook", "his": "/webhooks/his/webhook", "rest": "/webhooks/rest/webhook"}
    body = {"sender": "web-" + "0" * 32, "message": message}
    status, _, reply = server.request("POST", path[channel], body, headers={"Authorization": "Bearer t"})
    assert status == 200, reply
    messages = reply if channel == "rest" else reply["messages"]
    return [m["custom"]["strategy"] for m in messages if m.get("custom")], messages


@pytest.mark.parametrize("channel", ["web", "his", "rest"])
def test_silence_becomes_a_polite_reply(channels, channel):
    assert strategies(channels, channel, "silent 感冒怎么治")[0] == ["service_unavailable"]


@pytest.mark.parametrize("channel", ["web", "his", "rest"])
@pytest.mark.parametrize("message", ["silent 我爸突然昏迷了，叫不醒", "boom 我吃了一整瓶安眠药"])
def test_emergency_advice_reaches_the_patient_when_the_engine_is_down(channels, channel, message):
    found, messages = strategies(channels, channel, message)
    assert found == ["emergency", "service_unavailable"]
    assert "120" in next(m["text"] for m in messages if m.get("text"))


def test_the_service_unavailable_texts_are_domain_responses_with_the_contact():
    import yaml

    from bot.channels.dialogue import DOMAIN_FILE, service_unavailable_message, service_unavailable_texts
    from bot.settings import load_settings

    domain = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))
    variations = domain["responses"]["utter_service_unavailable"]
    contact = load_settings().hospital_contact
    assert len(service_unavailable_texts()) == len(variations) >= 2
    for text in service_unavailable_texts():
        assert contact in text and "120" in text and "{" not in text
    assert service_unavailable_message()["text"] in service_unavailable_texts()
