"""Compacted conversations (bot/tracker_store.py): bounded history, same state, idle ones forgotten."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.tracker_store import create_tracker_store
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from bot.settings import PROJECT_ROOT
from bot.tracker_store import CompactInMemoryTrackerStore, compact

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))
DISEASES = ["感冒", "糖尿病", "高血压", "肺炎"]


def conversation(turns: int, sender: str = "web:long") -> DialogueStateTracker:
    """A conversation of ``turns`` medical questions, each changing the disease slot."""
    events = [ActionExecuted(ACTION_LISTEN_NAME)]
    for i in range(turns):
        disease = DISEASES[i % len(DISEASES)]
        events += [
            UserUttered(f"{disease}有什么症状 {i}", {"name": "diagnosis", "confidence": 0.99}),
            ActionExecuted("action_medical_answer"),
            BotUttered(f"{disease}的症状 {i}", {"custom": {"strategy": "answer"}}),
            SlotSet("disease", disease),
            SlotSet("strategies", ["answer"]),
            ActionExecuted(ACTION_LISTEN_NAME),
        ]
    return DialogueStateTracker.from_events(sender, events, slots=DOMAIN.slots)


def test_a_short_conversation_is_kept_whole():
    tracker = conversation(5)
    assert compact(tracker, DOMAIN, 80, 40) is tracker


def test_a_long_conversation_keeps_its_last_turns_and_its_state():
    tracker = conversation(200)
    short = compact(tracker, DOMAIN, 80, 40)
    assert len(short.events) <= 40 + 2 + len(DOMAIN.slots)
    assert short.current_slot_values() == tracker.current_slot_values()
    assert short.latest_message.text == tracker.latest_message.text
    assert short.latest_bot_utterance.text == tracker.latest_bot_utterance.text
    events = list(short.events)
    assert isinstance(events[1], SessionStarted)
    first_user = next(i for i, e in enumerate(events) if isinstance(e, UserUttered))
    assert isinstance(events[first_user - 1], ActionExecuted)  # whole turns: the listen before it is kept


@pytest.mark.parametrize("max_events, keep_events", [(10, 10), (10, 0), (5, 20)])
def test_bad_limits_are_refused(max_events, keep_events):
    with pytest.raises(ValueError, match="keep_events"):
        CompactInMemoryTrackerStore(DOMAIN, max_events=max_events, keep_events=keep_events)


def test_the_store_saves_compacted_and_forgets_idle_conversations():
    store = CompactInMemoryTrackerStore(DOMAIN, max_events=80, keep_events=40, retention=60)

    async def scenario():
        await store.save(conversation(200, "web:a"))
        await store.save(conversation(3, "web:b"))
        restored = await store.retrieve("web:a")
        assert len(restored.events) < 60 and restored.get_slot("disease") == DISEASES[199 % 4]
        store.last_active["web:a"] -= 120  # idle for two minutes, retention one
        assert store.forget_idle() == 1
        assert await store.retrieve("web:a") is None and await store.retrieve("web:b") is not None

    asyncio.run(scenario())


def test_endpoints_configure_the_compacting_store():
    config = read_endpoint_config(str(PROJECT_ROOT / "endpoints.yml"), "tracker_store")
    store = create_tracker_store(config, DOMAIN)
    inner = getattr(store, "_tracker_store", store)
    inner = getattr(inner, "_tracker_store", inner)
    assert isinstance(inner, CompactInMemoryTrackerStore)
    assert (inner.max_events, inner.keep_events, inner.retention) == (80, 40, 86400)
