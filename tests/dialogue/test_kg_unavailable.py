"""The graph being down, hung or failing: polite replies in time, nothing raised, other users
answered meanwhile, a reconnect on a later message."""

import asyncio
import threading
import time

import pytest
from neo4j import exceptions as neo4j_errors
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import kg_access
from kg_queries import records
from kg_queries.embedded_store import EmbeddedStore
from kg_queries.store import GraphStore
from tests.dialogue.conftest import ACTIONS, KG_FILES, ROUTES, Conversation, entity, shown_texts


def test_every_graph_question_gets_the_polite_reply(down_kg):
    chat = Conversation()
    [reply] = chat.say("糖尿病怎么治疗", sub_intent="treatment", confidence=0.9, diseases=["糖尿病"])
    assert reply["custom"]["strategy"] == "kg_unavailable" and reply["response"] == "utter_kg_unavailable"
    assert all("120" in text for text in shown_texts(reply))
    assert reply["custom"]["disease"] == "糖尿病" and reply["custom"]["sub_intent"] == "treatment"
    assert chat.strategies("糖尿病怎么治疗", sub_intent="treatment", confidence=0.6, diseases=["糖尿病"]) == [
        "kg_unavailable"
    ]
    assert chat.strategies("头痛发热", sub_intent="definition", symptoms=["头痛", "发热"]) == [
        "kg_unavailable"
    ]


def test_what_needs_no_graph_still_works(down_kg):
    chat = Conversation()
    assert chat.strategies("你好", intent="greet") == ["gossip"]
    assert chat.strategies("这个呢", sub_intent="other", confidence=0.1) == ["deny"]
    assert chat.strategies("怎么治疗", sub_intent="treatment") == ["ask_slot"]
    assert down_kg.calls == 0


def test_the_handle_is_dropped_and_reopened_on_a_later_message(tmp_path, monkeypatch):
    missing = tmp_path / "not-built-yet"
    monkeypatch.setenv("KG_EMBEDDED_PATH", str(missing))
    monkeypatch.setenv("KG_RECONNECT_MIN", "0")  # no backoff: the next message may reconnect at once
    kg_access.reset_settings()
    chat = Conversation()
    assert chat.strategies("感冒有什么症状", sub_intent="symptom", diseases=["感冒"]) == ["kg_unavailable"]
    assert chat.strategies("感冒有什么症状", sub_intent="symptom", diseases=["感冒"]) == ["kg_unavailable"]
    # The graph appears (e.g. the server came back): the next message reconnects.
    store = EmbeddedStore(missing, read_only=False)
    store.import_data(
        records.load_files(KG_FILES[:1] + [p for p in KG_FILES if "internal" in p.name]), progress=False
    )
    store.close()
    assert chat.strategies("感冒有什么症状", sub_intent="symptom", diseases=["感冒"]) == ["answer"]
    kg_access.reset()


# ---------------------------------------------------------------- a hung or failing graph server
class HungStore(GraphStore):
    """A graph server that accepts the query and never answers (until released)."""

    kind = "hung"

    def __init__(self) -> None:
        self.release = threading.Event()

    def run(self, cypher, params=None):
        self.release.wait(30)
        raise ConnectionResetError("released")

    def import_data(self, data, replace=False, progress=True):
        raise NotImplementedError

    def clear(self):
        raise NotImplementedError


def turn(intent: str, text: str, sub_intent=None, diseases=()):
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": [entity("disease", d, message=text) for d in diseases],
    }
    if sub_intent:
        latest["sub_intent"] = {"name": sub_intent, "confidence": 0.95}
    tracker = Tracker(
        "p",
        {},
        latest,
        [{"event": "user", "text": text, "parse_data": latest}],
        False,
        None,
        {},
        "action_listen",
    )
    return ACTIONS[ROUTES[intent]], CollectingDispatcher(), tracker


def test_a_hung_graph_gives_the_polite_reply_in_time_and_others_are_answered_meanwhile(monkeypatch):
    hung = HungStore()
    monkeypatch.setenv("KG_QUERY_TIMEOUT", "1")
    kg_access.reset_settings()
    monkeypatch.setattr(kg_access, "open_store", lambda **kwargs: hung)

    async def both():
        action, slow_dispatcher, slow_tracker = turn("diagnosis", "感冒有什么症状", "symptom", ["感冒"])
        medical = asyncio.ensure_future(action.run(slow_dispatcher, slow_tracker, {}))
        started = time.monotonic()
        action, dispatcher, tracker = turn("greet", "你好")
        await action.run(dispatcher, tracker, {})
        greeting_took = time.monotonic() - started
        await medical
        return greeting_took, time.monotonic() - started, dispatcher.messages, slow_dispatcher.messages

    greeting_took, medical_took, greeting, medical = asyncio.run(both())
    assert greeting[0]["custom"]["strategy"] == "gossip" and greeting_took < 0.5
    assert medical[0]["custom"]["strategy"] == "kg_unavailable" and medical_took < 3
    hung.release.set()


@pytest.mark.parametrize(
    "error",
    [
        neo4j_errors.AuthError("unauthorized"),
        neo4j_errors.TransientError("restarting"),
        neo4j_errors.ClientError("bad query"),
        RuntimeError("IO exception"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_driver_errors_give_the_polite_reply_and_the_next_message_recovers(monkeypatch, kg_store, error):
    class Flaky(GraphStore):
        kind = "flaky"
        failing = True

        def run(self, cypher, params=None):
            if Flaky.failing:
                raise error
            return kg_store.run(cypher, params)

        def import_data(self, data, replace=False, progress=True):
            raise NotImplementedError

        def clear(self):
            raise NotImplementedError

    monkeypatch.setenv("KG_RECONNECT_MIN", "0")
    kg_access.reset_settings()
    monkeypatch.setattr(kg_access, "open_store", lambda **kwargs: Flaky())
    chat = Conversation()
    assert chat.strategies("感冒有什么症状", sub_intent="symptom", diseases=["感冒"]) == ["kg_unavailable"]
    Flaky.failing = False  # the server is back: no restart of the action server needed
    assert chat.strategies("感冒有什么症状", sub_intent="symptom", diseases=["感冒"]) == ["answer"]
