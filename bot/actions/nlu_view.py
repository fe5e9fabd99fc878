"""Read what the NLU pipeline said about the latest user message from the tracker.

The contract (``tracker.latest_message``): ``intent {name, confidence}``, ``sub_intent
{name, confidence}``, ``sub_intent_ranking`` (``[{name, confidence}]``), ``sub_intents``
(one ``{name, confidence, start, end, text}`` per question when it asks several) and entities with ``entity``, ``value`` (the graph's canonical name),
``text``, ``confidence_entity`` and ``linked`` (False when the entity linker found no
graph node for the mention).

Why: the actions read the NLU's output in one place, defensively (a tracker may hold a
message from a client or an older model), so the dialogue code sees typed fields only.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker

# Rasa's notation for a message given as an intent ("/diagnosis{...}") rather than words.
INTENT_MESSAGE_PREFIX = "/"


@dataclass
class ParsedMessage:
    text: str
    intent: Optional[str]
    intent_confidence: float
    sub_intent: Optional[str]
    sub_intent_confidence: float
    entities: List[Dict[str, Any]] = field(default_factory=list)
    # (name, confidence) of every sub-intent, likeliest first (``sub_intent_ranking``).
    sub_intent_ranking: List[Tuple[str, float]] = field(default_factory=list)
    # (name, confidence) of each question of a message that asks several (``sub_intents``,
    # intents/clauses.py), in the order asked; empty for one question.
    sub_intents: List[Tuple[str, float]] = field(default_factory=list)

    def values(self, entity_type: str) -> List[str]:
        """Canonical values of linked entities of one type, in order, without repeats.

        Only what the entity linker resolved to a graph node (``linked`` is True) counts: an
        entity from anywhere else (a ``/intent{...}`` message, a client) never reaches a slot.
        """
        out: List[str] = []
        for entity in self.entities:
            if entity.get("entity") == entity_type and entity.get("linked") is True:
                value = entity.get("value")
                if isinstance(value, str) and value and value not in out:
                    out.append(value)
        return out

    def unlinked(self, entity_type: str) -> List[str]:
        """Mentions of one type that the entity linker could not match to a graph node."""
        out: List[str] = []
        for entity in self.entities:
            if entity.get("entity") == entity_type and entity.get("linked") is False:
                mention = entity.get("text") or entity.get("value")
                if isinstance(mention, str) and mention and mention not in out:
                    out.append(mention)
        return out

    @property
    def is_intent_form(self) -> bool:
        """True for "/intent{...}" messages, which carry no words besides their entities."""
        return self.text.startswith(INTENT_MESSAGE_PREFIX)

    def residual_text(self, filler: str = "") -> str:
        """The text without entity mentions, punctuation, spaces and ``filler`` characters.

        Empty when the message says nothing but its entities ("是糖尿病吧" -> "").
        """
        if self.is_intent_form:
            return ""
        chars = list(self.text)
        for entity in self.entities:
            start, end = entity.get("start"), entity.get("end")
            if isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(chars):
                chars[start:end] = [""] * (end - start)
            else:
                mention = entity.get("text") or ""
                joined = "".join(chars)
                at = joined.find(mention) if mention else -1
                if at >= 0:
                    chars = list(joined[:at] + joined[at + len(mention) :])
        return "".join(
            c
            for c in chars
            if c
            and c not in filler
            and not c.isspace()
            and not unicodedata.category(c).startswith(("P", "S"))
        )


def parse_latest(tracker: Tracker) -> ParsedMessage:
    latest = tracker.latest_message or {}
    intent = latest.get("intent") or {}
    sub = latest.get("sub_intent") or {}
    return ParsedMessage(
        text=latest.get("text") or "",
        intent=intent.get("name"),
        intent_confidence=float(intent.get("confidence") or 0.0),
        sub_intent=sub.get("name"),
        sub_intent_confidence=float(sub.get("confidence") or 0.0),
        entities=[e for e in latest.get("entities") or [] if isinstance(e, dict)],
        sub_intent_ranking=_ranking(latest.get("sub_intent_ranking")),
        sub_intents=_questions(latest.get("sub_intents")),
    )


def _questions(raw: Any) -> List[Tuple[str, float]]:
    """``[{"name", "confidence", ...}, ...]`` as (name, confidence) pairs in the order given."""
    out: List[Tuple[str, float]] = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            try:
                out.append((item["name"], float(item.get("confidence") or 0.0)))
            except (TypeError, ValueError):
                continue
    return out


def _ranking(raw: Any) -> List[Tuple[str, float]]:
    """``[{"name", "confidence"}, ...]`` as (name, confidence) pairs, likeliest first; bad entries dropped."""
    return sorted(_questions(raw), key=lambda pair: -pair[1])
