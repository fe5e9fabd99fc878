"""The web widget channel over real HTTP: static files, paired replies, limits, CORS."""

from __future__ import annotations

import re

import pytest

from bot.channels.errors import ChannelConfigError
from bot.channels.web_widget import WEB_DIR, WebWidgetInput
from tests.channels.server import ChannelServer

ALLOWED = "https://www.hospital.example"
URL = "/webhooks/web/webhook"
SENDER = "web-0123456789abcdef0123456789abcdef"  # shaped like the widget's random ids


@pytest.fixture(scope="module")
def server():
    channel = WebWidgetInput.from_credentials({"cors_origins": [ALLOWED + "/"], "max_message_length": 10})
    srv = ChannelServer([channel]).start()
    yield srv
    srv.stop()


def test_page_loads_the_widget_script(server):
    status, headers, page = server.request("GET", "/webhooks/web/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert '<meta name="viewport"' in page
    # The demo page loads widget.js itself, open, and in kiosk mode when asked (?kiosk=1).
    assert 'widget.src = "widget.js"' in page and 'setAttribute("data-open", "true")' in page
    assert 'setAttribute("data-kiosk", "true")' in page


def test_page_without_trailing_slash_redirects(server):
    status, headers, _ = server.request("GET", "/webhooks/web")
    assert status == 302 and headers["location"] == "/webhooks/web/"


@pytest.mark.parametrize(
    "name, content_type", [("widget.js", "application/javascript"), ("widget.css", "text/css")]
)
def test_widget_files_are_served(server, name, content_type):
    status, headers, body = server.request("GET", f"/webhooks/web/{name}")
    assert status == 200 and headers["content-type"].startswith(content_type)
    assert body == (WEB_DIR / name).read_text(encoding="utf-8")


def test_widget_fetches_nothing_from_elsewhere():
    """No CDN, fonts or images from other hosts: URLs only in the JS comments' examples."""
    script = re.sub(r"/\*.*?\*/", "", (WEB_DIR / "widget.js").read_text(encoding="utf-8"), flags=re.S)
    styles = (WEB_DIR / "widget.css").read_text(encoding="utf-8")
    page = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"https?://", script)
    assert "url(" not in styles and "@import" not in styles
    assert not re.search(r'<(script|link|img|iframe)\b[^>]*(src|href)="(https?:)?//', page)


def test_only_the_widget_files_are_reachable(server):
    assert server.request("GET", "/webhooks/web/../credentials.yml")[0] == 404
    assert server.request("GET", "/webhooks/web/index.html")[0] == 404


def test_reply_pairs_text_and_custom(server):
    status, _, body = server.request("POST", URL, {"sender": SENDER, "message": "感冒症状"})
    assert status == 200
    assert body == {
        "messages": [
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
    }
    message = server.agent.received[-1]
    assert (message.sender_id, message.input_channel) == ("web:" + SENDER, "web")


def test_two_bot_messages_come_back_as_two_pairs(server):
    body = server.request("POST", URL, {"sender": SENDER, "message": "two"})[2]
    assert [(m["text"] is not None, m["custom"]["strategy"]) for m in body["messages"]] == [
        (True, "answer"),
        (True, "clarify"),
    ]


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"sender": SENDER, "message": "一二三四五六七八九十十"}, 413, "message_too_long"),
        ({"sender": SENDER}, 400, "missing_field"),
        ({"sender": "w", "message": "hi"}, 400, "invalid_field"),
        ({"sender": "1234567890123456789<", "message": "hi"}, 400, "invalid_field"),
        ({"sender": 1, "message": "hi"}, 400, "invalid_field"),
    ],
)
def test_bad_messages_are_json_errors(server, body, status, code):
    got_status, _, reply = server.request("POST", URL, body)
    assert (got_status, reply["error"]["code"]) == (status, code)


def test_malformed_json_is_400(server):
    status, _, reply = server.request("POST", URL, raw=b"{oops")
    assert status == 400 and reply["error"]["code"] == "malformed_json"


def test_dialogue_failure_is_a_polite_reply(server):
    status, _, reply = server.request("POST", URL, {"sender": SENDER, "message": "boom"})
    assert status == 200
    assert [m["custom"]["strategy"] for m in reply["messages"]] == ["service_unavailable"]


def test_allowed_origin_gets_cors_headers(server):
    status, headers, _ = server.request(
        "POST", URL, {"sender": SENDER, "message": "hi"}, headers={"Origin": ALLOWED}
    )
    assert status == 200 and headers["access-control-allow-origin"] == ALLOWED
    status, headers, _ = server.request(
        "OPTIONS",
        URL,
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert status in (200, 204)
    assert headers["access-control-allow-origin"] == ALLOWED
    assert "content-type" in headers["access-control-allow-headers"].lower()
    assert "POST" in headers["access-control-allow-methods"]


def test_other_origins_get_no_cors_headers(server):
    _, headers, _ = server.request(
        "POST", URL, {"sender": SENDER, "message": "hi"}, headers={"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in headers
    _, headers, _ = server.request(
        "OPTIONS", URL, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in headers and "access-control-allow-headers" not in headers


def test_wildcard_allows_any_origin():
    channel = WebWidgetInput.from_credentials({"cors_origins": "*"})
    assert channel.allowed_origin("https://anything.example") == "*"
    assert WebWidgetInput.from_credentials({}).allowed_origin("https://anything.example") is None


@pytest.mark.parametrize(
    "credentials, problem",
    [
        ({"cors_origins": ["https://www.hospital.example/chat"]}, "no path"),
        ({"cors_origins": ["www.hospital.example"]}, "scheme and host"),
        ({"cors_origins": [5]}, "list of origins"),
        ({"cors": ["*"]}, "unknown settings"),
        ({"max_message_length": -5}, "positive integer"),
    ],
)
def test_bad_credentials_fail_at_start(credentials, problem):
    with pytest.raises(ChannelConfigError, match=problem):
        WebWidgetInput.from_credentials(credentials)


def test_missing_widget_files_fail_at_start(tmp_path):
    with pytest.raises(ChannelConfigError, match="widget files missing"):
        WebWidgetInput(web_dir=tmp_path)


def test_clarify_replies_carry_the_yes_no_buttons(server):
    body = server.request("POST", URL, {"sender": SENDER, "message": "clarify"})[2]
    [message] = body["messages"]
    assert message["custom"]["strategy"] == "clarify"
    assert message["buttons"] == [
        {"title": "是", "payload": "/accept"},
        {"title": "不是", "payload": "/deny"},
    ]
