"""``action_gossip``: small talk (greet, goodbye, isbot; accept/deny without a question open).

Why: the replies are fixed texts, so they are ``domain.yml`` responses (``utter_<intent>``,
several variations each, ``{bot_name}`` filled in by the Rasa server), not templates.
A greeting or thanks around a question ("你好，请问感冒怎么治疗", "谢谢，那糖尿病吃什么") is
read as small talk by the intent classifiers, but the question is what the patient came
for: when such a message names a disease or describes symptoms, it is answered as the
medical question it contains (:func:`small_talk_or_question`).
"""

from __future__ import annotations

from bot.actions import medical_flow
from bot.actions.base import TurnAction
from bot.actions.turn import Turn
from core.vocabulary import SMALLTALK_INTENTS as GOSSIP_INTENTS


def small_talk(turn: Turn) -> None:
    """The intent's response ``utter_<intent>`` (one of its variations, chosen by Rasa)."""
    intent = turn.parsed.intent if turn.parsed.intent in GOSSIP_INTENTS else "greet"
    turn.utter("gossip", f"utter_{intent}", sub_intent=None, confidence=turn.parsed.intent_confidence)


def small_talk_or_question(turn: Turn) -> None:
    """The medical question inside a small-talk message that names a disease or symptoms, else small talk.

    The answer's payload then says ``intent: diagnosis``: what the message was answered as.
    """
    if turn.parsed.values("disease") or turn.parsed.values("symptom"):
        turn.parsed.intent = "diagnosis"
        medical_flow.handle_question(turn)
    else:
        small_talk(turn)


class ActionGossip(TurnAction):
    """Small talk; it also closes any open clarification (the user moved on)."""

    def name(self) -> str:
        return "action_gossip"

    def handle(self, turn: Turn) -> None:
        turn.state.clear_pending()
        small_talk_or_question(turn)
