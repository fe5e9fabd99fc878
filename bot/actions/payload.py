"""The ``custom`` JSON object every bot message carries for the hospital's systems."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

# What the actions answer with (each is covered by the story tests).
STRATEGIES = (
    "answer",
    "clarify",
    "confirm",
    "deny",
    "gossip",
    "ask_slot",
    "fallback",
    "not_found",
    "suggest_diseases",
    "emergency",
    "kg_unavailable",
)
# What a channel answers with itself when the dialogue engine failed or timed out.
CHANNEL_STRATEGIES = ("service_unavailable",)
ALL_STRATEGIES = STRATEGIES + CHANNEL_STRATEGIES


def build_payload(
    strategy: str,
    intent: Optional[str] = None,
    sub_intent: Optional[str] = None,
    confidence: Optional[float] = None,
    disease: Optional[str] = None,
    items: Optional[List[Any]] = None,
    departments: Optional[List[str]] = None,
) -> Dict[str, Any]:
    if strategy not in ALL_STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}")
    return {
        "strategy": strategy,
        "intent": intent,
        "sub_intent": sub_intent,
        "confidence": None if confidence is None else round(float(confidence), 4),
        "disease": disease,
        "items": list(items or []),
        "departments": list(departments or []),
    }
