"""Handoff to a person, as functions of a :class:`Turn`: the summary, the pause, resuming.

Why: some patients need a person (a complaint, a question the bot cannot answer, no wish to
talk to a machine). ``action_handoff`` tells them how to reach one (phone, hours, desk from
``dialogue.yml`` ``handoff:``) and gives the HIS a short ``summary`` of the conversation
(disease, the last medical question redacted, how it was answered), then pauses the bot
for that conversation (slot ``handoff_active``). While paused every action answers only
``utter_handoff_waiting`` (strategy ``handoff_waiting``), from one place (``base.py``),
after the emergency advice, which is never paused. The patient resumes it with a phrase
of ``bot/handoff_resume_rules.yml`` ("继续"), the HIS with ``POST /webhooks/his/resume``,
which sends the intent ``handoff_resume`` (``action_handoff_resume``); both answer
``utter_handoff_resumed`` (strategy ``handoff_resumed``) and the next message is answered
normally again.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

from bot.actions.state import SLOT_STRATEGIES
from bot.actions.turn import Turn
from core.vocabulary import MEDICAL_INTENT
from safety.patterns import Regex, compile_pattern
from safety.redact import redact

# The longest question text kept in a summary (the HIS shows it to a person; redacted first).
MAX_SUMMARY_TEXT = 200
# The keys of a handoff payload's ``summary`` (docs/his-openapi.yaml documents them).
SUMMARY_KEYS = ("disease", "sub_intent", "question", "answered")
# Stripped from both ends of a message before the resume patterns are tried.
EDGE_CHARS = " \t\r\n　，,。.！!？?～~…、；;：:"


# -- the summary for the HIS --------------------------------------------------------------
def last_medical_question(history: List[Dict[str, Any]]) -> Tuple[Optional[Dict[str, Any]], List[str]]:
    """The latest earlier user message with the medical intent, and the strategies it was answered with.

    ``history`` is the tracker's events; its last user event is the current message ("转人工"),
    which is skipped.
    """
    users = [i for i, e in enumerate(history) if e.get("event") == "user"]
    for index in reversed(users[:-1]):
        parse = history[index].get("parse_data") or {}
        if (parse.get("intent") or {}).get("name") != MEDICAL_INTENT:
            continue
        answered: List[str] = []
        for event in history[index + 1 :]:
            if event.get("event") == "user":
                break
            if event.get("event") == "slot" and event.get("name") == SLOT_STRATEGIES:
                answered = list(event.get("value") or [])
        return {"event": history[index], "parse": parse}, answered
    return None, []


def summary(turn: Turn) -> Dict[str, Any]:
    """What the person taking over should know: ``disease``, ``sub_intent``, ``question``
    (redacted, at most ``MAX_SUMMARY_TEXT`` characters) and ``answered`` (strategies)."""
    found, answered = last_medical_question(turn.history)
    sub_intent = question = None
    if found is not None:
        sub_intent = (found["parse"].get("sub_intent") or {}).get("name")
        text = found["event"].get("text") or found["parse"].get("text") or ""
        question = redact(text)[:MAX_SUMMARY_TEXT] or None
    return dict(zip(SUMMARY_KEYS, (turn.state.disease, sub_intent, question, answered)))


def hand_off(turn: Turn) -> None:
    """Say how to reach a person, attach the summary, and pause the bot for this conversation."""
    state = turn.state
    brief = summary(turn)
    state.clear_pending()
    state.handoff_active = True
    handoff = turn.settings.handoff
    turn.utter(
        "handoff",
        "utter_handoff",
        sub_intent=None,
        confidence=turn.parsed.intent_confidence,
        disease=state.disease,
        summary=brief,
        phone=handoff["phone"],
        hours=handoff["hours"],
        desk=handoff["desk"],
    )


# -- paused -------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def resume_patterns(path: str) -> Tuple[Regex, ...]:
    """The resume patterns of one rule file, compiled once per process."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    patterns = raw.get("patterns") if isinstance(raw, dict) else None
    if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) for p in patterns):
        raise ValueError(f"{path}: expected 'patterns:' with a list of regular expressions")
    return tuple(compile_pattern(p, ignore_case=True) for p in patterns)


def asks_to_resume(text: str, settings: Any) -> bool:
    """True when the whole message (ends' punctuation ignored) is a resume phrase ("继续")."""
    core = (text or "").strip(EDGE_CHARS)
    if not core:
        return False
    path = str(settings.project_path(settings.handoff_resume_rules))
    return any(p.search(core) for p in resume_patterns(path))


def resume(turn: Turn) -> None:
    """Unpause: the bot answers normally from the next message on."""
    turn.state.handoff_active = False
    turn.utter("handoff_resumed", "utter_handoff_resumed", sub_intent=None, confidence=None)


def while_paused(turn: Turn) -> None:
    """A message while paused: a resume phrase resumes; anything else gets the waiting notice
    (not after an emergency reply: calling 120 comes first, and the advice says all)."""
    if asks_to_resume(turn.parsed.text, turn.settings):
        resume(turn)
    elif not turn.emergencies:
        turn.utter("handoff_waiting", "utter_handoff_waiting", sub_intent=None, confidence=None)
