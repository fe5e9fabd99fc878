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
from typing import Any, Callable, List, Optional, Sequence, Tuple

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
    """One kind of emergency: any alternative whose patterns are all found matches, or one of
    its ``topics`` (names of its serious diseases) outside an informational question."""

    name: str
    alternatives: Tuple[Tuple[RedFlag, ...], ...]
    topics: Tuple[RedFlag, ...] = ()


@dataclass(frozen=True)
class Informational:
    """A question *about* a serious disease: a ``question`` cue and no ``acute`` cue.

    "心梗后饮食要注意什么" asks about an infarction; "我爸突然心梗了" and "心梗了怎么办" report
    one. Only a category's ``topics`` (the disease names) give way to it: symptoms described
    in the message still count ("胸口剧痛喘不上气是什么原因" is an emergency).
    """

    question: Tuple[RedFlag, ...] = ()
    acute: Tuple[RedFlag, ...] = ()

    def __call__(self, found: Callable[[RedFlag, str], bool], text: str) -> bool:
        return any(found(flag, text) for flag in self.question) and not any(
            found(flag, text) for flag in self.acute
        )


class EmergencyDetector:
    """Finds the emergency categories a message matches, in rule-file order."""

    def __init__(
        self,
        categories: Sequence[EmergencyCategory],
        negation_cues: Sequence[str],
        negation_window: int,
        informational: Informational = Informational(),
        question_forms: Sequence[str] = (),
    ) -> None:
        self.categories = tuple(categories)
        self.negation_cues = tuple(negation_cues)
        self.question_forms = tuple(question_forms)
        self.negation_window = int(negation_window)
        self.informational = informational

    @classmethod
    def from_file(cls, path: Path) -> EmergencyDetector:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        categories = []
        for name, spec in (raw.get("categories") or {}).items():
            alternatives = []
            try:
                for alternative in (spec or {}).get("match") or []:
                    if not isinstance(alternative, list):
                        alternative = [alternative]
                    alternatives.append(tuple(RedFlag.from_rule(rule) for rule in alternative))
                topics = _flags((spec or {}).get("topics"))
            except ValueError as exc:
                raise ValueError(f"{path}: bad pattern in category {name!r}: {exc}") from exc
            if not alternatives and not topics:
                raise ValueError(f"{path}: category {name!r} has no patterns")
            categories.append(EmergencyCategory(name, tuple(alternatives), topics))
        if not categories:
            raise ValueError(f"{path}: no emergency categories")
        section = raw.get("informational") or {}
        try:
            informational = Informational(_flags(section.get("question")), _flags(section.get("acute")))
        except ValueError as exc:
            raise ValueError(f"{path}: bad pattern in informational: {exc}") from exc
        return cls(
            categories,
            raw.get("negation_cues") or [],
            raw.get("negation_window", 0),
            informational,
            raw.get("question_forms") or [],
        )

    def _found(self, flag: RedFlag, text: str) -> bool:
        """True when ``flag`` occurs in ``text`` at least once, not directly followed by one of its
        ``unless`` words and without a negation cue before it."""
        for match in flag.pattern.finditer(text):
            if any(text.startswith(word, match.end()) for word in flag.unless):
                continue
            if not self._negated(text, match.start()):
                return True
        return False

    def _negated(self, text: str, start: int) -> bool:
        """Whether a negation cue is among the ``negation_window`` characters before ``start``;
        question forms that contain a cue ("是不是心梗", "有没有胸痛") are not negations."""
        reach = self.negation_window + max((len(q) for q in self.question_forms), default=0)
        before = text[max(0, start - reach) : start]
        for form in self.question_forms:
            before = before.replace(form, " " * len(form))
        before = before[-self.negation_window :] if self.negation_window else ""
        return any(cue in before for cue in self.negation_cues)

    def detect(self, text: str) -> List[str]:
        """Names of the categories ``text`` matches (empty when none)."""
        if not text:
            return []
        found = []
        informational: Optional[bool] = None  # decided once, when a topic is named
        for category in self.categories:
            if any(all(self._found(p, text) for p in alternative) for alternative in category.alternatives):
                found.append(category.name)
            elif any(self._found(topic, text) for topic in category.topics):
                if informational is None:
                    informational = self.informational(self._found, text)
                if not informational:
                    found.append(category.name)
        return found


def _flags(rules: Any) -> Tuple[RedFlag, ...]:
    """A list of patterns from the rule file (absent: none)."""
    if rules is None:
        return ()
    if not isinstance(rules, list):
        raise ValueError(f"expected a list of patterns, got {rules!r}")
    return tuple(RedFlag.from_rule(rule) for rule in rules)


@lru_cache(maxsize=4)
def detector_for(path: str) -> EmergencyDetector:
    """The detector for one rule file, compiled once per process."""
    return EmergencyDetector.from_file(Path(path))


def red_flags(text: str, settings: Any) -> List[str]:
    """The emergency categories ``text`` matches under the rule file ``settings.emergency_rules`` names.

    The one way in for the actions and for the channels' safety net, so both read the same rules.
    """
    return detector_for(str(settings.project_path(settings.emergency_rules))).detect(text)
