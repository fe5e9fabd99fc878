"""The Redis tracker and lock stores as ``endpoints.scaled.yml`` configures them, against a real
``redis-server`` (started here on 127.0.0.1, a free port, no persistence): a conversation that
went through the actions is saved, read back, and continues from the stored slots; the lock
store takes turns; both ride over a Redis restart."""

from __future__ import annotations

import asyncio
import subprocess
import threading
from typing import Any, Dict, List

import pytest
from rasa.core.tracker_store import create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import ActionConfirmation, ActionMedicalAnswer
from bot.settings import PROJECT_ROOT
from bot.tracker_store import CompactRedisTrackerStore
from tools.cluster import redis_binary, redis_command, wait_for_redis
from tools.live_servers import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def redis_port():
    port = free_port()
    proc = subprocess.Popen(
        redis_command(redis_binary(), port, None), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        wait_for_redis(port, 20, lambda: None if proc.poll() is None else "redis-server exited")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def scaled_endpoints(monkeypatch, port: int, section: str):
    """A section of endpoints.scaled.yml with the variables the launcher sets, for our Redis."""
    monkeypatch.setenv("REDIS_HOST", "127.0.0.1")
    monkeypatch.setenv("REDIS_PORT", str(port))
    monkeypatch.setenv("REDIS_USERNAME", "")
    monkeypatch.setenv("REDIS_PASSWORD", "")
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:5055/webhook")
    return read_endpoint_config(str(PROJECT_ROOT / "endpoints.scaled.yml"), section)


def run_action(action, sender: str, slots: Dict[str, Any], latest: Dict[str, Any]) -> List[Event]:
    """Run one action like the Rasa server would; return the events it produces."""
    tracker = Tracker(sender, slots, latest, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    returned = action.respond(dispatcher, tracker, {})
    events: List[Event] = [ActionExecuted(action.name())]
    events += [BotUttered(m["text"], data={"custom": m["custom"]}) for m in dispatcher.messages]
    events += [Event.from_parameters(e) for e in returned]
    return events


def test_a_conversation_survives_the_round_trip_through_redis(redis_port, monkeypatch, kg):
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    config = scaled_endpoints(monkeypatch, redis_port, "tracker_store")
    store = create_tracker_store(config, domain)
    assert isinstance(getattr(store, "_tracker_store", store), CompactRedisTrackerStore)

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
    assert redis.Redis(host="127.0.0.1", port=redis_port).ttl(keys[0]) > 0, "no record_exp: kept forever"


def test_the_scaled_lock_store_lets_one_message_of_a_conversation_in_at_a_time(redis_port, monkeypatch):
    from rasa.core.lock_store import LockStore
    from rasa.core.utils import number_of_sanic_workers

    from bot.lock_store import ResilientRedisLockStore

    config = scaled_endpoints(monkeypatch, redis_port, "lock_store")
    store = LockStore.create(config)
    assert isinstance(store, ResilientRedisLockStore)
    monkeypatch.setenv("SANIC_WORKERS", "3")
    assert number_of_sanic_workers(config) == 3, "Rasa would refuse several workers with this lock store"

    order: List[str] = []

    async def message(name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        async with store.lock("rest:patient", wait_time_in_seconds=0.05):
            order.append(f"{name} in")
            await asyncio.sleep(0.3)
            order.append(f"{name} out")

    async def both() -> None:
        await asyncio.gather(message("first", 0), message("second", 0.05))

    asyncio.run(both())
    assert order == ["first in", "first out", "second in", "second out"]


def test_both_stores_ride_over_a_redis_restart(tmp_path, monkeypatch):
    """Messages that arrive while Redis restarts (its snapshot kept) wait for it instead of failing."""
    from rasa.core.lock_store import LockStore

    port = free_port()
    command = redis_command(redis_binary(), port, tmp_path)
    procs: List[subprocess.Popen] = []

    def start() -> None:
        procs.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))

    def stop() -> None:
        procs[-1].terminate()  # SIGTERM: Redis saves its snapshot and exits
        procs[-1].wait(timeout=10)

    start()
    try:
        wait_for_redis(port, 20, lambda: None)
        domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
        tracker_store = create_tracker_store(scaled_endpoints(monkeypatch, port, "tracker_store"), domain)
        lock_store = LockStore.create(scaled_endpoints(monkeypatch, port, "lock_store"))
        tracker = DialogueStateTracker("rest:restart", domain.slots)
        tracker.update(UserUttered("糖尿病怎么治疗", {"name": "diagnosis", "confidence": 0.98}))
        asyncio.run(tracker_store.save(tracker))

        for call in (
            lambda: asyncio.run(tracker_store.retrieve("rest:restart")),
            lambda: lock_store.issue_ticket("rest:restart"),
        ):
            stop()
            restart = threading.Timer(0.4, start)  # Redis is back 0.4 s after the call began
            restart.start()
            try:
                result = call()
            finally:
                restart.join()
            assert result is not None
        restored = asyncio.run(tracker_store.retrieve("rest:restart"))
        assert restored is not None and restored.latest_message.text == "糖尿病怎么治疗"
    finally:
        stop()


def test_a_redis_that_stays_down_fails_fast_after_one_round_of_retries(monkeypatch):
    from bot import redis_retry

    waits: List[float] = []
    monkeypatch.setattr(redis_retry.time, "sleep", waits.append)
    client = redis_retry.RetryingRedis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1)
    for _ in range(2):
        with pytest.raises(redis_retry.RedisConnectionError):
            client.get("anything")
    assert waits == [0.05, 0.1, 0.2, 0.4, 0.8], "the second call should not wait: Redis is known down"


def test_tickets_of_one_conversation_are_unique_across_servers(redis_port, monkeypatch):
    """Messages of one conversation drawing tickets at the same moment on different servers
    (two stores, twenty threads) each get their own ticket: none runs alongside another."""
    from rasa.core.lock_store import LockStore

    config = scaled_endpoints(monkeypatch, redis_port, "lock_store")
    stores = [LockStore.create(config), LockStore.create(config)]
    tickets: List[int] = []
    start = threading.Barrier(20)

    def draw(index: int) -> None:
        start.wait()
        tickets.append(stores[index % 2].issue_ticket("rest:race", lock_lifetime=30))

    threads = [threading.Thread(target=draw, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(tickets) == list(range(20))
    for ticket in tickets:
        stores[ticket % 2].cleanup("rest:race", ticket)
    assert stores[0].get_lock("rest:race") is None, "the last cleanup leaves no lock behind"
