"""One user message being answered: what the NLU said, the state, and the replies so far.

Handlers append replies with :meth:`Turn.say` (a jinja2 template: the graph answers and
the texts built from the question) or :meth:`Turn.utter` (a fixed ``domain.yml`` response
that the Rasa server fills in), each with its ``custom`` payload, and change
:attr:`Turn.state`; :meth:`Turn.send` is the one place that sends them.

Why: keeping the replies as data until the end lets the emergency check put its reply first
and lets the tests read every strategy of a turn from the ``strategies`` slot.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from bot.actions import readings
from bot.actions.nlu_view import ParsedMessage, parse_latest
from bot.actions.payload import build_payload
from bot.actions.state import SLOT_STRATEGIES, DialogueState
from bot.render import render
from bot.settings import DialogueSettings, load_settings

logger = logging.getLogger(__name__)

_FROM_MESSAGE = object()  # default for payload fields: take them from the parsed message


@dataclass
class Reply:
    """One bot message: its text (or the domain response that gives it) and its ``custom`` payload."""

    text: Optional[str]
    payload: Dict[str, Any]
    # A domain.yml response the Rasa server renders instead of ``text``, and its variables.
    response: Optional[str] = None
    variables: Dict[str, Any] = field(default_factory=dict)
    buttons: List[Dict[str, Any]] = field(default_factory=list)

    @property
    def strategy(self) -> str:
        return self.payload["strategy"]


class Turn:
    """The handling of one user message."""

    def __init__(self, tracker: Tracker, settings: Optional[DialogueSettings] = None) -> None:
        self.settings = settings or load_settings()
        self.sender_id = tracker.sender_id
        # A name that is a disease and a symptom is read one way for the whole turn.
        self.parsed: ParsedMessage = readings.resolve(parse_latest(tracker))
        self.history: List[Dict[str, Any]] = list(tracker.events or [])
        self.state = DialogueState.from_tracker(tracker)
        self._before = self.state.snapshot()
        self.replies: List[Reply] = []
        self.emergencies: List[str] = []

    # -- replies -------------------------------------------------------------------------
    def say(
        self,
        strategy: str,
        template: str,
        *,
        sub_intent: Any = _FROM_MESSAGE,
        confidence: Any = _FROM_MESSAGE,
        disease: Optional[str] = None,
        items: Sequence[Any] = (),
        departments: Sequence[str] = (),
        buttons: Sequence[Dict[str, Any]] = (),
        **context: Any,
    ) -> Reply:
        """Render ``template`` and queue it with its payload (and ``buttons``)."""
        text = render(
            template,
            bot_name=self.settings.bot_name,
            disease=disease,
            items=list(items),
            departments=list(departments),
            **context,
        )
        payload = self._payload(strategy, sub_intent, confidence, disease, items, departments)
        reply = Reply(text, payload, buttons=[dict(b) for b in buttons])
        self.replies.append(reply)
        return reply

    def utter(
        self,
        strategy: str,
        response: str,
        *,
        sub_intent: Any = _FROM_MESSAGE,
        confidence: Any = _FROM_MESSAGE,
        disease: Optional[str] = None,
        items: Sequence[Any] = (),
        summary: Optional[Dict[str, Any]] = None,
        **variables: Any,
    ) -> Reply:
        """Queue the domain response ``response`` with its payload; the Rasa server fills in
        ``variables`` (``bot_name`` and ``hospital_contact`` always)."""
        filled = {
            "bot_name": self.settings.bot_name,
            "hospital_contact": self.settings.hospital_contact,
            **variables,
        }
        payload = self._payload(strategy, sub_intent, confidence, disease, items, (), summary)
        reply = Reply(None, payload, response=response, variables=filled)
        self.replies.append(reply)
        return reply

    def _payload(
        self,
        strategy: str,
        sub_intent: Any,
        confidence: Any,
        disease: Optional[str],
        items: Sequence[Any],
        departments: Sequence[str],
        summary: Optional[Dict[str, Any]] = None,
    ) -> Dict[str, Any]:
        return build_payload(
            strategy,
            intent=self.parsed.intent,
            sub_intent=self.parsed.sub_intent if sub_intent is _FROM_MESSAGE else sub_intent,
            confidence=self.parsed.sub_intent_confidence if confidence is _FROM_MESSAGE else confidence,
            disease=disease,
            items=list(items),
            departments=list(departments),
            summary=summary,
        )

    @property
    def strategies(self) -> List[str]:
        return [reply.strategy for reply in self.replies]

    def send(self, dispatcher: CollectingDispatcher) -> None:
        """Send every queued reply, in order: the one place the actions send messages."""
        for reply in self.replies:
            # A template reply has text and no variables; a domain response has variables, no text.
            dispatcher.utter_message(
                text=reply.text,
                response=reply.response,
                json_message=reply.payload,
                buttons=reply.buttons or None,
                **reply.variables,
            )

    def events(self) -> List[Dict[str, Any]]:
        """Slot events: the changed state slots and this turn's strategies."""
        return self.state.slot_events(self._before) + [SlotSet(SLOT_STRATEGIES, self.strategies)]

    # -- the unanswered-question log ----------------------------------------------------
    def asked(self) -> Dict[str, Any]:
        """The question as the NLU understood it (kept with a prepared answer, logged if unanswered)."""
        p = self.parsed
        return {
            "text": p.text,
            "intent": p.intent,
            "intent_confidence": p.intent_confidence,
            "sub_intent": p.sub_intent,
            "sub_intent_confidence": p.sub_intent_confidence,
            "entities": p.entities,
        }

    def record_unanswered(
        self, reason: str, disease: Optional[str], asked: Optional[Dict[str, Any]] = None
    ) -> None:
        """Log the question for the content team; a failing database never breaks the reply."""
        from bot.unanswered import UnansweredQuestion, shared_log

        asked = asked or self.asked()
        try:
            shared_log().record(
                UnansweredQuestion(sender_id=self.sender_id, reason=reason, disease=disease, **asked)
            )
        except (SQLAlchemyError, OSError) as exc:
            logger.error("could not record the unanswered question: %s", exc)
