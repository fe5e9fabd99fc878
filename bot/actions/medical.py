"""Answer medical questions from the knowledge graph."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import kg_access
from bot.actions.nlu_view import parse_latest
from bot.actions.payload import build_payload
from bot.render import render
from kg_queries import QUESTION_TYPES, KGUnavailableError

logger = logging.getLogger(__name__)


class ActionMedicalAnswer(Action):
    """Look the question up in the graph and answer it with the question type's template."""

    def name(self) -> Text:
        return "action_medical_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        parsed = parse_latest(tracker)
        diseases = parsed.values("disease")
        disease = diseases[0] if diseases else tracker.get_slot("disease")
        question = parsed.sub_intent if parsed.sub_intent in QUESTION_TYPES else None
        base = dict(intent=parsed.intent, sub_intent=parsed.sub_intent,
                    confidence=parsed.sub_intent_confidence, disease=disease)
        if not disease:
            dispatcher.utter_message(text=render("ask_disease.j2"), json_message=build_payload("ask_slot", **base))
            return []
        if question is None:
            dispatcher.utter_message(text=render("fallback.j2"), json_message=build_payload("fallback", **base))
            return [SlotSet("disease", disease)]
        try:
            answer = kg_access.get_kg().ask(question, disease)
        except KGUnavailableError as exc:
            logger.warning("knowledge graph unavailable: %s", exc)
            kg_access.reset()
            dispatcher.utter_message(text=render("kg_unavailable.j2"),
                                     json_message=build_payload("kg_unavailable", **base))
            return []
        if not answer.has_content:
            dispatcher.utter_message(text=render("not_found.j2", disease=disease),
                                     json_message=build_payload("not_found", **base))
            return [SlotSet("disease", disease if answer.found else tracker.get_slot("disease"))]
        text = render(f"answers/{question}.j2", disease=answer.disease, items=answer.items, fields=answer.fields)
        dispatcher.utter_message(text=text, json_message=build_payload("answer", items=answer.items, **base))
        return [SlotSet("disease", answer.disease)]
