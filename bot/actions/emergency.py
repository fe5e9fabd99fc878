"""Red-flag detection on the text of every user message (rules in ``bot/emergency_rules.yml``).

Why a rule file and not the NLU: an emergency must be caught whatever the intent
classifier says about the message ("你好，我爸突然昏迷了" may well look like a greeting),
and the patterns have to be readable and reviewable by clinicians. They are compiled with
RE2 (``safety.patterns``) because they run on every message: time linear in the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, List, Sequence, Tuple

import yaml

from safety.patterns import Regex, compile_pattern


@dataclass(frozen=True)
class RedFlag:
    """One pattern of an alternative; a hit directly followed by an ``unless`` word does not count."""

    pattern: Regex
    unless: Tuple[str, ...] = ()

    @classmethod
    def from_rule(cls, rule: Any) -> RedFlag:
        """From the rule file: a pattern string or ``{pattern: ..., unless: [words]}``."""
        if isinstance(rule, str):
            return cls(compile_pattern(rule))
        if (
            isinstance(rule, dict)
            and set(rule) <= {"pattern", "unless"}
            and isinstance(rule.get("pattern"), str)
        ):
            unless = rule.get("unless", [])
            if isinstance(unless, list) and all(isinstance(word, str) and word for word in unless):
                return cls(compile_pattern(rule["pattern"]), tuple(unless))
        raise ValueError(f"expected a pattern or {{pattern: ..., unless: [words]}}, got {rule!r}")


@dataclass(frozen=True)
class EmergencyCategory:
    """One kind of emergency: any alternative whose patterns are all found matches."""

    name: str
    alternatives: Tuple[Tuple[RedFlag, ...], ...]


class EmergencyDetector:
    """Finds the emergency categories a message matches, in rule-file order."""

    def __init__(
        self, categories: Sequence[EmergencyCategory], negation_cues: Sequence[str], negation_window: int
    ) -> None:
        self.categories = tuple(categories)
        self.negation_cues = tuple(negation_cues)
        self.negation_window = int(negation_window)

    @classmethod
    def from_file(cls, path: Path) -> EmergencyDetector:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        categories = []
        for name, spec in (raw.get("categories") or {}).items():
            alternatives = []
            for alternative in (spec or {}).get("match") or []:
                if not isinstance(alternative, list):
                    alternative = [alternative]
                try:
                    alternatives.append(tuple(RedFlag.from_rule(rule) for rule in alternative))
                except ValueError as exc:
                    raise ValueError(f"{path}: bad pattern in category {name!r}: {exc}") from exc
            if not alternatives:
                raise ValueError(f"{path}: category {name!r} has no patterns")
            categories.append(EmergencyCategory(name, tuple(alternatives)))
        if not categories:
            raise ValueError(f"{path}: no emergency categories")
        return cls(categories, raw.get("negation_cues") or [], raw.get("negation_window", 0))

    def _found(self, flag: RedFlag, text: str) -> bool:
        """True when ``flag`` occurs in ``text`` at least once, not directly followed by one of its
        ``unless`` words and without a negation cue before it."""
        for match in flag.pattern.finditer(text):
            if any(text.startswith(word, match.end()) for word in flag.unless):
                continue
            before = text[max(0, match.start() - self.negation_window) : match.start()]
            if not any(cue in before for cue in self.negation_cues):
                return True
        return False

    def detect(self, text: str) -> List[str]:
        """Names of the categories ``text`` matches (empty when none)."""
        if not text:
            return []
        return [
            category.name
            for category in self.categories
            if any(all(self._found(p, text) for p in alternative) for alternative in category.alternatives)
        ]


@lru_cache(maxsize=4)
def detector_for(path: str) -> EmergencyDetector:
    """The detector for one rule file, compiled once per process."""
    return EmergencyDetector.from_file(Path(path))


def red_flags(text: str, settings: Any) -> List[str]:
    """The emergency categories ``text`` matches under the rule file ``settings.emergency_rules`` names.

    The one way in for the actions and for the channels' safety net, so both read the same rules.
    """
    return detector_for(str(settings.project_path(settings.emergency_rules))).detect(text)
