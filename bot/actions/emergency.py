"""Red-flag detection on the text of every user message (rules in ``bot/emergency_rules.yml``).

Why a rule file and not the NLU: an emergency must be caught whatever the intent
classifier says about the message ("你好，我爸突然昏迷了" may well look like a greeting),
and the patterns have to be readable and reviewable by clinicians.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import List, Pattern, Sequence, Tuple

import yaml


@dataclass(frozen=True)
class EmergencyCategory:
    """One kind of emergency: any alternative whose patterns are all found matches."""

    name: str
    alternatives: Tuple[Tuple[Pattern, ...], ...]


class EmergencyDetector:
    """Finds the emergency categories a message matches, in rule-file order."""

    def __init__(self, categories: Sequence[EmergencyCategory], negation_cues: Sequence[str],
                 negation_window: int) -> None:
        self.categories = tuple(categories)
        self.negation_cues = tuple(negation_cues)
        self.negation_window = int(negation_window)

    @classmethod
    def from_file(cls, path: Path) -> "EmergencyDetector":
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        categories = []
        for name, spec in (raw.get("categories") or {}).items():
            alternatives = []
            for alternative in (spec or {}).get("match") or []:
                if isinstance(alternative, str):
                    alternative = [alternative]
                try:
                    alternatives.append(tuple(re.compile(p) for p in alternative))
                except re.error as exc:
                    raise ValueError(f"{path}: bad pattern in category {name!r}: {exc}") from exc
            if not alternatives:
                raise ValueError(f"{path}: category {name!r} has no patterns")
            categories.append(EmergencyCategory(name, tuple(alternatives)))
        if not categories:
            raise ValueError(f"{path}: no emergency categories")
        return cls(categories, raw.get("negation_cues") or [], raw.get("negation_window", 0))

    def _found(self, pattern: Pattern, text: str) -> bool:
        """True when ``pattern`` occurs in ``text`` at least once without a negation cue before it."""
        for match in pattern.finditer(text):
            before = text[max(0, match.start() - self.negation_window):match.start()]
            if not any(cue in before for cue in self.negation_cues):
                return True
        return False

    def detect(self, text: str) -> List[str]:
        """Names of the categories ``text`` matches (empty when none)."""
        if not text:
            return []
        return [category.name for category in self.categories
                if any(all(self._found(p, text) for p in alternative) for alternative in category.alternatives)]


@lru_cache(maxsize=4)
def detector_for(path: str) -> EmergencyDetector:
    """The detector for one rule file, compiled once per process."""
    return EmergencyDetector.from_file(Path(path))
