"""``action_gossip``: small talk (greet, goodbye, isbot; accept/deny without a question open).

Why: the replies are fixed texts, so they are ``domain.yml`` responses (``utter_<intent>``,
several variations each, ``{bot_name}`` filled in by the Rasa server), not templates.
"""

from __future__ import annotations

from bot.actions.base import TurnAction
from bot.actions.turn import Turn
from core.vocabulary import SMALLTALK_INTENTS as GOSSIP_INTENTS


def small_talk(turn: Turn) -> None:
    """The intent's response ``utter_<intent>`` (one of its variations, chosen by Rasa)."""
    intent = turn.parsed.intent if turn.parsed.intent in GOSSIP_INTENTS else "greet"
    turn.utter("gossip", f"utter_{intent}", sub_intent=None, confidence=turn.parsed.intent_confidence)


class ActionGossip(TurnAction):
    """Small talk; it also closes any open clarification (the user moved on)."""

    def name(self) -> str:
        return "action_gossip"

    def handle(self, turn: Turn) -> None:
        turn.state.clear_pending()
        small_talk(turn)
