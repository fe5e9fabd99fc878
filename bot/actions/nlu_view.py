"""Read what the NLU pipeline said about the latest user message from the tracker."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker


@dataclass
class ParsedMessage:
    text: str
    intent: Optional[str]
    intent_confidence: float
    sub_intent: Optional[str]
    sub_intent_confidence: float
    entities: List[Dict[str, Any]] = field(default_factory=list)

    def values(self, entity_type: str) -> List[str]:
        """Canonical values of linked entities of one type, in order, without repeats."""
        out: List[str] = []
        for entity in self.entities:
            if entity.get("entity") == entity_type and entity.get("linked", True):
                value = entity.get("value")
                if value and value not in out:
                    out.append(value)
        return out

    def unlinked(self, entity_type: str) -> List[str]:
        return [e.get("text") or e.get("value") for e in self.entities
                if e.get("entity") == entity_type and e.get("linked") is False]


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
        entities=list(latest.get("entities") or []),
    )
