"""The Redis tracker store, configured with the block documented in endpoints.yml, against a
real ``redis-server`` (started here on 127.0.0.1, a free port, no persistence): a conversation
that went through the actions is saved, read back, and continues from the stored slots."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from typing import Any, Dict, List

import pytest
from rasa.core.tracker_store import RedisTrackerStore, create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import ActionConfirmation, ActionMedicalAnswer
from bot.settings import PROJECT_ROOT
from tools.live_servers import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def redis_port():
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server not found: run scripts/install_system_packages.sh")
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.1)
    yield port
    proc.terminate()
    proc.wait(timeout=10)


def documented_endpoints(tmp_path, port: int):
    """The commented ``tracker_store`` block of endpoints.yml, uncommented, with our port."""
    lines, inside = [], False
    for line in (PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8").splitlines():
        if line.startswith("#tracker_store:"):
            inside = True
        elif inside and not line.startswith("#  "):
            break
        if inside:
            lines.append(line[1:])
    assert lines, "endpoints.yml lost its documented tracker_store block"
    text = "\n".join(lines).replace("port: 6379", f"port: {port}")
    path = tmp_path / "endpoints.yml"
    path.write_text(text + "\n", encoding="utf-8")
    return read_endpoint_config(str(path), "tracker_store")


def run_action(action, sender: str, slots: Dict[str, Any], latest: Dict[str, Any]) -> List[Event]:
    """Run one action like the Rasa server would; return the events it produces."""
    tracker = Tracker(sender, slots, latest, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    returned = action.respond(dispatcher, tracker, {})
    events: List[Event] = [ActionExecuted(action.name())]
    events += [BotUttered(m["text"], data={"custom": m["custom"]}) for m in dispatcher.messages]
    events += [Event.from_parameters(e) for e in returned]
    return events


def test_a_conversation_survives_the_round_trip_through_redis(redis_port, tmp_path, kg):
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    config = documented_endpoints(tmp_path, redis_port)
    store = create_tracker_store(config, domain)
    assert isinstance(getattr(store, "_tracker_store", store), RedisTrackerStore)

    sender = "redis-patient"
    question = {
        "text": "糖尿病怎么治疗",
        "intent": {"name": "diagnosis", "confidence": 0.98},
        "sub_intent": {"name": "treatment", "confidence": 0.6},
        "entities": [
            {"entity": "disease", "value": "糖尿病", "text": "糖尿病", "start": 0, "end": 3, "linked": True}
        ],
    }
    tracker = DialogueStateTracker(sender, domain.slots)
    tracker.update(UserUttered(question["text"], question["intent"], question["entities"], question))
    for event in run_action(ActionMedicalAnswer(), sender, tracker.current_slot_values(), question):
        tracker.update(event)
    asyncio.run(store.save(tracker))

    restored = asyncio.run(store.retrieve(sender))
    assert restored is not None
    assert restored.get_slot("strategies") == ["clarify"]
    assert restored.get_slot("pending_answer")["disease"] == "糖尿病"
    assert restored.get_slot("disease") == "糖尿病"
    [bot] = [e for e in restored.events if isinstance(e, BotUttered)]
    assert bot.data["custom"]["strategy"] == "clarify" and bot.data["custom"]["sub_intent"] == "treatment"

    # A later message (maybe on another server) continues from the stored slots.
    accept = {"text": "是的", "intent": {"name": "accept", "confidence": 0.97}, "entities": []}
    restored.update(UserUttered(accept["text"], accept["intent"], [], accept))
    events = run_action(ActionConfirmation(), sender, restored.current_slot_values(), accept)
    for event in events:
        restored.update(event)
    asyncio.run(store.save(restored))
    final = asyncio.run(store.retrieve(sender))
    assert final.get_slot("strategies") == ["confirm"] and final.get_slot("pending_answer") is None
    confirm = [e for e in final.events if isinstance(e, BotUttered)][-1]
    assert confirm.data["custom"]["items"] == kg.ask("treatment", "糖尿病").items

    import redis

    keys = redis.Redis(host="127.0.0.1", port=redis_port).keys("hospital:*")
    assert keys, "the documented key_prefix is not used"
