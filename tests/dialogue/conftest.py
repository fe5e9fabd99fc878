"""Fixtures for the dialogue tests: a real embedded graph built from ``data/kg`` in a tmp
directory, a fresh unanswered-question database per test, and :class:`Conversation`,
which plays user messages through the actions the rules would choose."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import render, responses
from bot.actions import kg_access
from bot.actions.payload import STRATEGIES
from bot.settings import PROJECT_ROOT, load_settings
from kg_queries import records
from kg_queries.embedded_store import EmbeddedStore
from kg_queries.questions import KnowledgeGraph
from kg_queries.store import GraphStore, KGUnavailableError
from tools.eval.strategies import action_instances, rule_routes

KG_FILES = sorted((PROJECT_ROOT / "data" / "kg").glob("*.json"))
PAYLOAD_KEYS = {"strategy", "intent", "sub_intent", "confidence", "disease", "items", "departments"}
# What CollectingDispatcher.utter_message puts in every message; other keys are response variables.
DISPATCHER_KEYS = {"text", "buttons", "elements", "custom", "template", "response", "image", "attachment"}


def shown_texts(message: Dict[str, Any]) -> List[str]:
    """What the patient may read for one dispatched message: its text, or every variation of
    the domain response it names, filled with its variables the way Rasa fills them."""
    if message.get("text"):
        return [message["text"]]
    variables = {k: v for k, v in message.items() if k not in DISPATCHER_KEYS}
    return responses.texts(message["response"], **variables)


ACTIONS = action_instances()
ROUTES = rule_routes()


class DownStore(GraphStore):
    """A graph store whose every query fails like an unreachable server."""

    kind = "down"

    def __init__(self) -> None:
        self.calls = 0

    def run(self, cypher, params=None):
        self.calls += 1
        raise KGUnavailableError("connection refused (test stub)")

    def import_data(self, data, replace=False, progress=True):
        raise KGUnavailableError("connection refused (test stub)")

    def clear(self) -> None:
        raise KGUnavailableError("connection refused (test stub)")


def entity(kind: str, value: str, text: str = "", linked: bool = True, message: str = "") -> Dict[str, Any]:
    """An NLU entity as the pipeline outputs it (start/end found in ``message``)."""
    mention = text or value
    found = {"entity": kind, "value": value, "text": mention, "confidence_entity": 1.0, "linked": linked}
    at = message.find(mention) if message else -1
    if at >= 0:
        found.update(start=at, end=at + len(mention))
    return found


class Conversation:
    """Plays messages through the actions with a rasa_sdk Tracker, keeping the slots."""

    def __init__(self, sender_id: str = "patient-1") -> None:
        self.sender_id = sender_id
        self.slots: Dict[str, Any] = {}
        self.turns: List[List[Dict[str, Any]]] = []
        self.history: List[Dict[str, Any]] = []  # the tracker's events so far (user and slot events)

    def say(
        self,
        text: str = "",
        intent: str = "diagnosis",
        sub_intent: Optional[str] = None,
        confidence: float = 0.95,
        diseases: Sequence[str] = (),
        symptoms: Sequence[str] = (),
        entities: Sequence[Dict[str, Any]] = (),
        intent_confidence: float = 0.99,
        ranking: Sequence[Tuple[str, float]] = (),
        questions: Sequence[Tuple[str, float]] = (),
    ) -> List[Dict[str, Any]]:
        """One user message; returns the bot messages (each checked for its payload)."""
        found = [entity("disease", d, message=text) for d in diseases]
        found += [entity("symptom", s, message=text) for s in symptoms]
        found += list(entities)
        latest = {
            "text": text,
            "intent": {"name": intent, "confidence": intent_confidence},
            "entities": found,
        }
        if sub_intent is not None:
            latest["sub_intent"] = {"name": sub_intent, "confidence": confidence}
        if ranking:
            latest["sub_intent_ranking"] = [{"name": name, "confidence": c} for name, c in ranking]
        if questions:  # a message that asks several things (intents/clauses.py)
            latest["sub_intents"] = [{"name": name, "confidence": c} for name, c in questions]
        self.history.append({"event": "user", "text": text, "parse_data": latest})
        tracker = Tracker(
            self.sender_id,
            dict(self.slots),
            latest,
            list(self.history),
            False,
            None,
            {},
            "action_listen",
        )
        dispatcher = CollectingDispatcher()
        events = ACTIONS[ROUTES[intent]].respond(dispatcher, tracker, {})
        for event in events:
            assert event["event"] == "slot", event
            self.slots[event["name"]] = event["value"]
        self.history.extend(events)
        self.last_events = events
        for message in dispatcher.messages:
            custom = message["custom"]
            extra = {"summary"} if custom["strategy"] == "handoff" else set()
            assert set(custom) == PAYLOAD_KEYS | extra, custom
            assert custom["strategy"] in STRATEGIES
            texts = shown_texts(message)
            assert texts and all(texts), message
            assert not any("{" in t for t in texts), texts  # every variable filled
        strategies = [m["custom"]["strategy"] for m in dispatcher.messages]
        assert self.slots["strategies"] == strategies
        self.turns.append(dispatcher.messages)
        return dispatcher.messages

    def strategies(self, *args: Any, **kwargs: Any) -> List[str]:
        """Say something and return only the strategies of the replies."""
        return [m["custom"]["strategy"] for m in self.say(*args, **kwargs)]

    def slot_events(self) -> Dict[str, Any]:
        return {e["name"]: e["value"] for e in self.last_events}


@pytest.fixture(scope="session")
def kg_store(tmp_path_factory):
    """The project's sample graph (data/kg/*.json) in a fresh embedded store."""
    store = EmbeddedStore(tmp_path_factory.mktemp("dialogue-kg") / "kg", read_only=False)
    store.import_data(records.load_files(KG_FILES), progress=False)
    yield store
    store.close()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Per test: default settings, a fresh unanswered database, a fixed salt, seeded variants."""
    monkeypatch.delenv("DIALOGUE_CONFIG", raising=False)
    monkeypatch.setenv("UNANSWERED_DB_URL", f"sqlite:///{tmp_path / 'unanswered.sqlite3'}")
    monkeypatch.setenv("UNANSWERED_SALT", "dialogue-test-salt-3f8a")
    monkeypatch.setenv("DIALOGUE_SEED", "0")
    load_settings.cache_clear()
    render._process_rng.cache_clear()
    yield
    load_settings.cache_clear()
    kg_access.set_kg(None)
    kg_access.reset_settings()


@pytest.fixture
def kg(kg_store):
    graph = KnowledgeGraph(kg_store)
    kg_access.set_kg(graph)
    return graph


@pytest.fixture
def down_kg(monkeypatch):
    """A graph that stays down: every (re)connection gets the failing stub store."""
    store = DownStore()
    monkeypatch.setattr(kg_access, "open_store", lambda **kwargs: store)
    kg_access.set_kg(None)
    return store


@pytest.fixture
def chat(kg) -> Conversation:
    return Conversation()


@pytest.fixture
def settings_file(tmp_path, monkeypatch):
    """Write a DIALOGUE_CONFIG file with the given settings and make it current."""

    def write(**values: Any) -> Path:
        path = tmp_path / "dialogue.yml"
        path.write_text(yaml.safe_dump(values, allow_unicode=True), encoding="utf-8")
        monkeypatch.setenv("DIALOGUE_CONFIG", str(path))
        load_settings.cache_clear()
        return path

    return write
