"""GET /webhooks/health/: model, action server and graph status, always a JSON 200."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

import pytest

from bot.channels.health import HealthInput
from tests.channels.server import ChannelServer, StubAgent
from tools.live_servers import free_port


class FakeActionServer:
    """Answers the health action like rasa_sdk would, with the graph status it is given."""

    def __init__(self, graph: dict) -> None:
        self.calls = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                outer.calls.append(body)
                data = json.dumps({"events": [], "responses": [{"custom": {"graph": graph}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


@dataclass
class Endpoint:
    url: str


class ReadyAgent(StubAgent):
    def __init__(self, action_url: Optional[str]) -> None:
        super().__init__()
        self.action_endpoint = Endpoint(action_url) if action_url else None
        self.model_id = "model-1"

    def is_ready(self) -> bool:
        return True


def health(agent) -> dict:
    server = ChannelServer([HealthInput(timeout=1)], agent).start()
    try:
        status, headers, body = server.request("GET", "/webhooks/health/")
    finally:
        server.stop()
    assert status == 200 and headers["content-type"].startswith("application/json")
    return body


def test_everything_up_is_ok():
    actions = FakeActionServer({"available": True, "store": "embedded", "ms": 0.4})
    try:
        body = health(ReadyAgent(actions.url))
    finally:
        actions.stop()
    assert body["status"] == "ok" and body["model"] == {"loaded": True, "id": "model-1"}
    assert body["action_server"]["reachable"] and body["graph"]["available"]
    assert actions.calls[0]["next_action"] == "action_health_check"


def test_graph_down_is_degraded():
    actions = FakeActionServer({"available": False, "detail": "circuit open"})
    try:
        body = health(ReadyAgent(actions.url))
    finally:
        actions.stop()
    assert body["status"] == "degraded" and body["graph"]["detail"] == "circuit open"


def test_action_server_down_is_degraded():
    body = health(ReadyAgent(f"http://127.0.0.1:{free_port()}/webhook"))
    assert body["status"] == "degraded" and body["action_server"]["reachable"] is False


def test_no_model_is_down():
    body = health(StubAgent())
    assert body["status"] == "down" and body["model"]["loaded"] is False


def test_the_health_action_reports_the_graph(kg_store_for_health):
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from bot.actions.health import ActionHealthCheck

    dispatcher = CollectingDispatcher()
    ActionHealthCheck().run(dispatcher, Tracker("h", {}, {}, [], False, None, {}, None), {})
    assert dispatcher.messages[0]["custom"]["graph"]["available"] is kg_store_for_health


@pytest.fixture(params=[True, False], ids=["graph-up", "graph-down"])
def kg_store_for_health(request, tmp_path, monkeypatch):
    from bot.actions import kg_access
    from kg_queries import records
    from kg_queries.embedded_store import EmbeddedStore
    from kg_queries.questions import KnowledgeGraph
    from tests.dialogue.conftest import KG_FILES, DownStore

    if request.param:
        store = EmbeddedStore(tmp_path / "kg", read_only=False)
        store.import_data(records.load_files(KG_FILES[:1]), progress=False)
        kg_access.set_kg(KnowledgeGraph(store))
    else:
        kg_access.set_kg(KnowledgeGraph(DownStore()))
    yield request.param
    kg_access.set_kg(None)
