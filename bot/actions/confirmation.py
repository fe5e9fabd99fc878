"""``action_confirmation``: ``accept`` / ``deny`` messages ("是的", "不是").

With a prepared answer pending they settle it (strategies confirm / deny); while the bot
waits for a disease name they count as one more reply without one; otherwise they are
small talk (or the question they come with: "是的，糖尿病怎么治疗").
"""

from __future__ import annotations

from bot.actions import medical_flow
from bot.actions.base import TurnAction
from bot.actions.gossip import small_talk_or_question
from bot.actions.turn import Turn


class ActionConfirmation(TurnAction):
    def name(self) -> str:
        return "action_confirmation"

    def handle(self, turn: Turn) -> None:
        state = turn.state
        if state.pending_answer and turn.parsed.intent == "accept":
            medical_flow.confirm_pending_answer(turn)
        elif state.pending_answer:
            medical_flow.reject_pending_answer(turn)
        elif state.awaiting_disease:
            medical_flow.follow_up_without_disease(turn)
        else:
            small_talk_or_question(turn)
