"""Small talk: greet, goodbye, isbot, and accept/deny with nothing pending."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.nlu_view import parse_latest
from bot.actions.payload import build_payload
from bot.render import render
from bot.settings import load_settings

GOSSIP_INTENTS = ("greet", "goodbye", "isbot", "accept", "deny")


class ActionGossip(Action):
    """Reply to small talk with a random variant of the intent's template."""

    def name(self) -> Text:
        return "action_gossip"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        parsed = parse_latest(tracker)
        intent = parsed.intent if parsed.intent in GOSSIP_INTENTS else "greet"
        text = render(f"gossip/{intent}.j2", bot_name=load_settings().bot_name)
        dispatcher.utter_message(text=text, json_message=build_payload(
            "gossip", intent=parsed.intent, confidence=parsed.intent_confidence))
        return []
