"""Dialogue settings from ``dialogue.yml``, optionally overlaid by the file ``DIALOGUE_CONFIG``.

Why: every number that shapes the dialogue (thresholds, limits, how long questions are
kept) lives in ``dialogue.yml`` and only there: the fields below have no defaults, so a
missing key is an error rather than a silent second value. ``DIALOGUE_CONFIG`` names a
file whose keys replace those of ``dialogue.yml`` (the story suites use one to change the
thresholds).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict

import yaml

from core.paths import PROJECT_ROOT

DIALOGUE_FILE = PROJECT_ROOT / "dialogue.yml"


@dataclass(frozen=True)
class DialogueSettings:
    bot_name: str
    accept_threshold: float
    deny_threshold: float
    # Below deny_threshold, the two likeliest question types together at least this likely:
    # offer both as buttons (strategy choose) instead of "I'm not sure" (deny).
    choice_min_mass: float
    max_disease_questions: int
    suggest_limit: int
    unanswered_db_url: str
    # Days an unanswered question is kept before it is deleted (patient text is kept no longer).
    unanswered_retention_days: int
    # Characters that may surround a disease name in a reply to "which disease?"
    # ("是糖尿病吧") without turning the reply into a new question.
    disease_reply_filler: str
    # Red-flag patterns checked on every user message (relative to the project root).
    emergency_rules: str
    # Where patients reach a person (desk, phone), named in the "service unavailable" reply.
    hospital_contact: str
    # How action_handoff tells a patient to reach a person: {phone, hours, desk} (all texts).
    handoff: Dict[str, str]
    # Patterns (RE2) that resume a paused conversation ("继续"), relative to the project root.
    handoff_resume_rules: str

    def __post_init__(self) -> None:
        if not 0.0 <= self.deny_threshold <= self.accept_threshold <= 1.0:
            raise ValueError("need 0 <= deny_threshold <= accept_threshold <= 1")
        if not 0.0 <= self.choice_min_mass <= 1.0:
            raise ValueError("choice_min_mass must be between 0 and 1 (1 turns the choice off)")
        if int(self.max_disease_questions) != self.max_disease_questions or self.max_disease_questions < 0:
            raise ValueError("max_disease_questions must be a whole number >= 0")
        if int(self.suggest_limit) != self.suggest_limit or self.suggest_limit < 1:
            raise ValueError("suggest_limit must be a whole number >= 1")
        if not isinstance(self.hospital_contact, str) or not self.hospital_contact.strip():
            raise ValueError(
                "hospital_contact must name where patients reach a person, e.g. '门诊服务台（电话 …）'"
            )
        check_handoff(self.handoff)
        days = self.unanswered_retention_days
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ValueError(
                f"unanswered_retention_days must be a positive whole number of days, not {days!r}"
            )

    def project_path(self, value: str) -> Path:
        """``value`` as a path, relative paths taken from the project root."""
        path = Path(value)
        return path if path.is_absolute() else PROJECT_ROOT / path


HANDOFF_KEYS = ("phone", "hours", "desk")


def check_handoff(handoff: Any) -> None:
    """``handoff`` must be ``{phone, hours, desk}``, each a non-blank text (no other keys)."""
    if not isinstance(handoff, dict) or set(handoff) != set(HANDOFF_KEYS):
        got = sorted(handoff) if isinstance(handoff, dict) else repr(handoff)
        raise ValueError(f"handoff must be a mapping with exactly the keys {list(HANDOFF_KEYS)}, got {got}")
    for key in HANDOFF_KEYS:
        value = handoff[key]
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"handoff.{key} must be a non-blank text, got {value!r}")


def _read(path: Path) -> Dict[str, Any]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping of settings")
    known = {f.name for f in fields(DialogueSettings)}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"{path}: unknown settings {sorted(unknown)}")
    return raw


@lru_cache(maxsize=1)
def load_settings() -> DialogueSettings:
    """``dialogue.yml`` overlaid by ``DIALOGUE_CONFIG``; unknown or missing keys are errors."""
    values = _read(DIALOGUE_FILE)
    override = os.environ.get("DIALOGUE_CONFIG")
    if override:
        path = Path(override)
        if not path.exists():
            raise FileNotFoundError(f"DIALOGUE_CONFIG points at {path}, which does not exist")
        values.update(_read(path))
    missing = {f.name for f in fields(DialogueSettings)} - set(values)
    if missing:
        raise ValueError(f"{DIALOGUE_FILE}: missing settings {sorted(missing)}")
    return DialogueSettings(**values)
