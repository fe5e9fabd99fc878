"""The ``custom`` JSON object every bot message carries for the hospital's systems.

Why: the HIS and the widget route and display on these fields, so their keys are fixed
(``docs/his-openapi.yaml`` documents them): every payload has the same seven keys, and
only a ``handoff`` payload adds an eighth, ``summary``, for the person taking over.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

# What the actions answer with (each is covered by the story tests).
STRATEGIES = (
    "answer",
    "clarify",
    "choose",
    "confirm",
    "deny",
    "gossip",
    "ask_slot",
    "fallback",
    "not_found",
    "suggest_diseases",
    "emergency",
    "kg_unavailable",
    "handoff",
    "handoff_waiting",
    "handoff_resumed",
)
# What a channel answers with itself when the dialogue engine failed or timed out.
CHANNEL_STRATEGIES = ("service_unavailable",)
ALL_STRATEGIES = STRATEGIES + CHANNEL_STRATEGIES
# The buttons of the clarifying question "您想问的是…吗？": the only intent triggers a client
# may send (bot/channels/validation.py lets exactly these payloads through).
CLARIFY_BUTTONS: Tuple[Dict[str, str], ...] = (
    {"title": "是", "payload": "/accept"},
    {"title": "不是", "payload": "/deny"},
)
# The strategy whose payload carries a ``summary`` of the conversation for the HIS.
HANDOFF_STRATEGY = "handoff"


def build_payload(
    strategy: str,
    intent: Optional[str] = None,
    sub_intent: Optional[str] = None,
    confidence: Optional[float] = None,
    disease: Optional[str] = None,
    items: Optional[List[Any]] = None,
    departments: Optional[List[str]] = None,
    summary: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """The payload of one bot message; ``summary`` only (and always) for ``handoff``."""
    if strategy not in ALL_STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}")
    if summary is not None and strategy != HANDOFF_STRATEGY:
        raise ValueError(f"only a {HANDOFF_STRATEGY!r} payload has a summary, not {strategy!r}")
    payload: Dict[str, Any] = {
        "strategy": strategy,
        "intent": intent,
        "sub_intent": sub_intent,
        "confidence": None if confidence is None else round(float(confidence), 4),
        "disease": disease,
        "items": list(items or []),
        "departments": list(departments or []),
    }
    if strategy == HANDOFF_STRATEGY:
        payload["summary"] = dict(summary or {})
    return payload
