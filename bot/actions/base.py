"""The part every action shares: the emergency check, the handoff pause and the answer to "which disease?".

Every rule in ``data/rules.yml`` runs one of the actions built on :class:`TurnAction`, so
every user message, whatever its intent, goes through :meth:`TurnAction.run`: red flags
first (their reply comes before anything else, paused or not), then, while the
conversation is handed to a person, only the waiting notice or the resume
(``handoff_flow.py``), then a reply that only names the disease a pending question waited
for, then the intent's own handler.

Why one base: the emergency check and the pause must hold whatever the intent
classifier said, so no action can skip them.
"""

from __future__ import annotations

import asyncio
import os
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import handoff_flow, medical_flow
from bot.actions.emergency import red_flags
from bot.actions.turn import Turn

# Worker threads for turns: the graph, the templates and the unanswered log are synchronous,
# so they run here and the action server's event loop stays free for other patients.
TURN_WORKERS = ThreadPoolExecutor(
    max_workers=int(os.environ.get("ACTION_TURN_WORKERS", "8")), thread_name_prefix="turn"
)


class TurnAction(Action, ABC):
    """Base class: subclasses implement :meth:`handle` for their intents (abstract, so the
    action server does not register it)."""

    # False: while a handoff is active (slot handoff_active) this action only says so.
    answers_while_paused = False

    @abstractmethod
    def handle(self, turn: Turn) -> None:
        """Answer the message when no emergency or pending disease question took it over."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """:meth:`respond` in a worker thread (one slow graph query never blocks other users)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(TURN_WORKERS, self.respond, dispatcher, tracker, domain)

    def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Answer one user message: red flags first, then the pause, a waiting question, :meth:`handle`."""
        turn = Turn(tracker)
        turn.emergencies = red_flags(turn.parsed.text, turn.settings)
        if turn.emergencies:
            turn.say("emergency", "emergency.j2", items=turn.emergencies, categories=turn.emergencies)
        if turn.state.handoff_active and not self.answers_while_paused:
            handoff_flow.while_paused(turn)
        elif turn.emergencies and not answerable_after_emergency(turn):
            turn.state.clear_pending()
        elif turn.state.awaiting_disease and medical_flow.names_only_a_disease(turn):
            medical_flow.answer_waiting_question(turn)
        else:
            self.handle(turn)
        turn.send(dispatcher)
        return turn.events()


def answerable_after_emergency(turn: Turn) -> bool:
    """After an emergency reply, only a medical question about a named disease is still answered.

    Small talk, symptom guesses or "which disease?" would only distract from calling 120.
    """
    return turn.parsed.intent == "diagnosis" and bool(turn.parsed.values("disease"))
