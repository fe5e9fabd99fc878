"""``action_handoff`` ("转人工") and ``action_handoff_resume`` (the HIS resumes the bot).

Why: like ``medical.py`` / ``medical_flow.py``, the actions are thin and the logic is in
``handoff_flow.py``, which ``base.py`` also uses for the pause (one place for every action).
"""

from __future__ import annotations

from bot.actions import handoff_flow
from bot.actions.base import TurnAction
from bot.actions.turn import Turn


class ActionHandoff(TurnAction):
    """ "转人工": how to reach a person, with a summary for the HIS; pauses the bot.

    Not paused itself: asking again while paused repeats the contact details.
    """

    answers_while_paused = True

    def name(self) -> str:
        return "action_handoff"

    def handle(self, turn: Turn) -> None:
        handoff_flow.hand_off(turn)


class ActionHandoffResume(TurnAction):
    """``/handoff_resume`` (sent by the HIS channel's resume endpoint): the bot answers again."""

    answers_while_paused = True

    def name(self) -> str:
        return "action_handoff_resume"

    def handle(self, turn: Turn) -> None:
        handoff_flow.resume(turn)
