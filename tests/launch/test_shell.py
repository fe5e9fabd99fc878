"""``python -m bot shell`` (``tools/shell_view.py``): one line per bot message, against a stub REST server.

Why: the line is what a tester reads instead of ``rasa shell``'s JSON dumps, so its
format is pinned here; the client is driven through real HTTP on 127.0.0.1 (a stdlib
server answering in Rasa's REST format, text and ``custom`` as separate entries) with
stdin lines, including a server that is gone and a bearer token.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Dict, Iterator, List

import pytest

from bot.cli import build_parser
from core.paths import PROJECT_ROOT
from tools import shell_view
from tools.live_servers import free_port
from tools.shell_view import RestClient, bot_messages, format_message

CLARIFY_CUSTOM = {"strategy": "clarify", "intent": "diagnosis", "sub_intent": "treatment", "confidence": 0.6}
BUTTONS = [{"title": "是", "payload": "/accept"}, {"title": "不是", "payload": "/deny"}]


def test_format_message_text_buttons_and_strategy():
    line = format_message(
        {"text": "您想问的是'感冒'的治疗方法吗？", "buttons": BUTTONS, "custom": CLARIFY_CUSTOM}
    )
    assert line == "您想问的是'感冒'的治疗方法吗？ [是 → /accept] [不是 → /deny] ‹clarify · treatment · 0.60›"
    assert (
        format_message({"text": "你好", "custom": {"strategy": "gossip", "sub_intent": None}})
        == "你好 ‹gossip›"
    )
    assert format_message({"text": "第一行\n\n第二行"}) == "第一行 ⏎ 第二行"
    assert format_message({"text": "选", "buttons": [{"title": "是", "payload": "是"}]}) == "选 [是]"
    assert format_message({}) == "(empty message)"


def test_rest_entries_are_paired_again():
    reply = [
        {"recipient_id": "s", "text": "答案"},
        {"recipient_id": "s", "custom": {"strategy": "answer"}},
        {"recipient_id": "s", "text": "问题", "buttons": BUTTONS},
        {"recipient_id": "s", "custom": CLARIFY_CUSTOM},
        {"recipient_id": "s", "custom": {"strategy": "orphan"}},
    ]
    assert bot_messages(reply) == [
        {"text": "答案", "custom": {"strategy": "answer"}},
        {"text": "问题", "buttons": BUTTONS, "custom": CLARIFY_CUSTOM},
        {"custom": {"strategy": "orphan"}},
    ]


class StubRest(BaseHTTPRequestHandler):
    """Answers like the REST channel: a clarify question for any text, a symptom answer for /accept."""

    received: ClassVar[List[Dict[str, Any]]] = []
    headers_seen: ClassVar[List[str]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._json(200, {"status": "ok"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append(body)
        self.headers_seen.append(self.headers.get("Authorization", ""))
        sender = body["sender"]
        if body["message"] == "太长":
            self._json(413, {"error": {"code": "too_long", "message": "message over 1000 characters"}})
        elif body["message"] == "/accept":
            self._json(
                200,
                [
                    {"recipient_id": sender, "text": "感冒的常见症状有：发热、咳嗽。"},
                    {
                        "recipient_id": sender,
                        "custom": {"strategy": "answer", "sub_intent": "symptom", "confidence": 0.91},
                    },
                ],
            )
        else:
            self._json(
                200,
                [
                    {"recipient_id": sender, "text": "您想问的是'感冒'的治疗方法吗？", "buttons": BUTTONS},
                    {"recipient_id": sender, "custom": CLARIFY_CUSTOM},
                ],
            )


@pytest.fixture
def stub() -> Iterator[str]:
    StubRest.received, StubRest.headers_seen = [], []
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), StubRest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def chat(client: RestClient, lines: str, verbose: bool = False):
    out, err = io.StringIO(), io.StringIO()
    code = shell_view.run(client, stdin=io.StringIO(lines), out=out, err=err, verbose=verbose, prompt=False)
    return code, out.getvalue().splitlines(), err.getvalue()


def test_client_chats_with_one_sender_until_exit(stub):
    client = RestClient(stub, token="t0k")
    code, lines, err = chat(client, "感冒怎么治\n\n/accept\n太长\n/exit\n不会发送\n")
    assert code == 0
    assert lines == [
        "您想问的是'感冒'的治疗方法吗？ [是 → /accept] [不是 → /deny] ‹clarify · treatment · 0.60›",
        "感冒的常见症状有：发热、咳嗽。 ‹answer · symptom · 0.91›",
    ]
    assert "HTTP 413: message over 1000 characters" in err
    assert [m["message"] for m in StubRest.received] == [
        "感冒怎么治",
        "/accept",
        "太长",
    ]  # nothing after /exit
    senders = {m["sender"] for m in StubRest.received}
    assert len(senders) == 1 and senders.pop().startswith("shell-")
    assert set(StubRest.headers_seen) == {"Bearer t0k"}


def test_verbose_prints_the_json_too(stub):
    _, lines, _ = chat(RestClient(stub), "/accept\n", verbose=True)
    assert lines[0] == "感冒的常见症状有：发热、咳嗽。 ‹answer · symptom · 0.91›"
    assert json.loads("\n".join(lines[1:]))[1]["custom"]["strategy"] == "answer"


def test_unreachable_server_is_one_line_and_the_session_goes_on():
    client = RestClient(f"http://127.0.0.1:{free_port()}", timeout=5)
    code, lines, err = chat(client, "感冒\n发烧\n")  # end of input ends the session
    assert code == 0 and lines == []
    assert err.count("cannot reach the bot at") == 2 and "Traceback" not in err
    assert not shell_view.wait_for(client, 0.6, None, io.StringIO())


def test_command_line_end_to_end(stub):
    args = build_parser().parse_args(["shell", "--url", stub, "-v"])
    assert args.show_json and not args.verbose  # -v after `shell` is the JSON switch, not debug logging
    done = subprocess.run(
        [sys.executable, "-m", "bot", "shell", "--url", stub, "--wait", "5"],
        input="感冒怎么治\n",
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "您想问的是'感冒'的治疗方法吗？ [是 → /accept] [不是 → /deny] ‹clarify · treatment · 0.60›"
    ]
