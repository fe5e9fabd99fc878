"""The conversation state the actions keep in slots between turns.

``disease``            the disease the conversation is about (follow-ups without one use it)
``pending_answer``     an answer prepared while asking "您想问的是…吗？"; ``accept`` delivers it
``awaiting_disease``   a question waiting for its disease (after "您想了解哪种疾病？")
``disease_questions``  how many times in a row the bot has asked for the disease
``handoff_active``     the patient was handed to a person: the bot only says so until resumed
``strategies``         how the bot answered the latest message (one per bot message)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

SLOT_DISEASE = "disease"
SLOT_PENDING_ANSWER = "pending_answer"
SLOT_AWAITING_DISEASE = "awaiting_disease"
SLOT_DISEASE_QUESTIONS = "disease_questions"
SLOT_HANDOFF_ACTIVE = "handoff_active"
SLOT_STRATEGIES = "strategies"
STATE_SLOTS = (
    SLOT_DISEASE,
    SLOT_PENDING_ANSWER,
    SLOT_AWAITING_DISEASE,
    SLOT_DISEASE_QUESTIONS,
    SLOT_HANDOFF_ACTIVE,
)


@dataclass
class DialogueState:
    """Slot values read at the start of a turn and changed by the turn's handlers."""

    disease: Optional[str] = None
    pending_answer: Optional[Dict[str, Any]] = None
    awaiting_disease: Optional[Dict[str, Any]] = None
    disease_questions: int = 0
    handoff_active: bool = False
    # Slots to emit even when their value did not change (the disease a turn used).
    touched: Set[str] = field(default_factory=set)

    @classmethod
    def from_tracker(cls, tracker: Tracker) -> DialogueState:
        pending = tracker.get_slot(SLOT_PENDING_ANSWER)
        awaiting = tracker.get_slot(SLOT_AWAITING_DISEASE)
        return cls(
            disease=tracker.get_slot(SLOT_DISEASE) or None,
            pending_answer=pending if isinstance(pending, dict) else None,
            awaiting_disease=awaiting if isinstance(awaiting, dict) else None,
            disease_questions=int(tracker.get_slot(SLOT_DISEASE_QUESTIONS) or 0),
            handoff_active=bool(tracker.get_slot(SLOT_HANDOFF_ACTIVE)),
        )

    def use_disease(self, disease: str) -> None:
        """Make ``disease`` the conversation's disease and report it for this turn."""
        self.disease = disease
        self.touched.add(SLOT_DISEASE)

    def clear_pending(self) -> None:
        """Forget any prepared answer or open "which disease?" question."""
        self.pending_answer = None
        self.awaiting_disease = None
        self.disease_questions = 0

    def snapshot(self) -> Dict[str, Any]:
        return {slot: copy.deepcopy(getattr(self, slot)) for slot in STATE_SLOTS}

    def slot_events(self, before: Dict[str, Any]) -> List[Dict[str, Any]]:
        """``SlotSet`` events for the slots that changed since ``before`` (or were touched)."""
        events = []
        for slot in STATE_SLOTS:
            value = getattr(self, slot)
            if slot in self.touched or value != before.get(slot):
                events.append(SlotSet(slot, float(value) if slot == SLOT_DISEASE_QUESTIONS else value))
        return events
