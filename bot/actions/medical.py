"""``action_medical_answer``: questions with the main intent ``diagnosis``."""

from __future__ import annotations

from bot.actions import medical_flow
from bot.actions.base import TurnAction
from bot.actions.turn import Turn


class ActionMedicalAnswer(TurnAction):
    """Answer from the knowledge graph, clarify, ask for the disease or suggest diseases."""

    def name(self) -> str:
        return "action_medical_answer"

    def handle(self, turn: Turn) -> None:
        medical_flow.handle_question(turn)
