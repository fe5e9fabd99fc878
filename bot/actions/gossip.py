"""``action_gossip``: small talk (greet, goodbye, isbot) from templates, picked at random."""

from __future__ import annotations

from bot.actions.base import TurnAction
from bot.actions.turn import Turn
from core.vocabulary import SMALLTALK_INTENTS as GOSSIP_INTENTS


def small_talk(turn: Turn) -> None:
    """A random variant of the intent's template (``gossip/<intent>.j2``)."""
    intent = turn.parsed.intent if turn.parsed.intent in GOSSIP_INTENTS else "greet"
    turn.say("gossip", f"gossip/{intent}.j2", sub_intent=None, confidence=turn.parsed.intent_confidence)


class ActionGossip(TurnAction):
    """Small talk; it also closes any open clarification (the user moved on)."""

    def name(self) -> str:
        return "action_gossip"

    def handle(self, turn: Turn) -> None:
        turn.state.clear_pending()
        small_talk(turn)
