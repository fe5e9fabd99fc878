"""Reading the hand-written templates in ``nlu_source/*.yml``.

One file per (intent, sub-intent)::

    intent: diagnosis          # a main intent of core.vocabulary.MAIN_INTENTS
    sub_intent: symptom        # only for the medical intent: one of SUB_INTENTS
    templates:
      - "{disease}有什么症状"

Why: a bad file or template is skipped with a warning (logged), never silently and never
fatally, so one typo in a source file does not stop the whole generation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Set

import yaml

from core.vocabulary import DISEASE, MAIN_INTENTS, MEDICAL_INTENT, SUB_INTENTS, SYMPTOM
from tools.nlu_data.split import TEST_TEMPLATE_FRACTION, split_templates
from tools.nlu_data.text import PLACEHOLDER_RE, clean_chars

logger = logging.getLogger(__name__)

# placeholder -> entity type it is filled with; {relative} is filled with RELATIVES
PLACEHOLDER_ENTITY: Dict[str, str] = {
    "disease": DISEASE,
    "disease2": DISEASE,
    "symptom": SYMPTOM,
    "symptom2": SYMPTOM,
    "symptom3": SYMPTOM,
    "drug": "drug",
    "food": "food",
    "check": "check",
    "department": "department",
}
RELATIVE = "relative"
PLACEHOLDERS: Set[str] = set(PLACEHOLDER_ENTITY) | {RELATIVE}
# literal brackets would read as entity markup: full-width ones instead
LITERAL_BRACKETS = str.maketrans({"(": "（", ")": "）", "[": "【", "]": "】", "{": "", "}": ""})


@dataclass
class SourceFile:
    """One source file's templates and the ones the test split gets."""

    path: Path
    intent: str
    sub_intent: Optional[str]
    templates: List[str]
    test_templates: Set[str] = field(default_factory=set)


def clean_template(raw: object, where: str) -> Optional[str]:
    """The template with known placeholders and no literal brackets, or None (logged)."""
    if not isinstance(raw, str):
        logger.warning("%s: non-string template %r skipped", where, raw)
        return None
    text = clean_chars(raw)
    parts = PLACEHOLDER_RE.split(text)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            if part not in PLACEHOLDERS:
                logger.warning("%s: unknown placeholder {%s} in %r; template skipped", where, part, raw)
                return None
            out.append("{" + part + "}")
        else:
            out.append(part.translate(LITERAL_BRACKETS))
    text = "".join(out).strip()
    return text or None


def read_source(path: Path, fraction: float = TEST_TEMPLATE_FRACTION) -> Optional[SourceFile]:
    """One source file (``fraction`` of its templates test-only), or None when it is unusable (logged)."""
    where = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        logger.warning("%s: cannot parse (%s); file skipped", where, exc)
        return None
    if not isinstance(data, dict):
        logger.warning("%s: not a mapping; file skipped", where)
        return None
    intent = data.get("intent")
    sub = data.get("sub_intent")
    if intent not in MAIN_INTENTS:
        logger.warning("%s: unknown intent %r; file skipped", where, intent)
        return None
    if intent == MEDICAL_INTENT and sub not in SUB_INTENTS:
        logger.warning(
            "%s: %s needs a sub_intent in %s; file skipped", where, MEDICAL_INTENT, sorted(SUB_INTENTS)
        )
        return None
    if intent != MEDICAL_INTENT and sub is not None:
        logger.warning("%s: sub_intent ignored for intent %s", where, intent)
        sub = None
    templates: List[str] = []
    for raw in data.get("templates") or []:
        text = clean_template(raw, where)
        if text and text not in templates:
            templates.append(text)
    if not templates:
        logger.warning("%s: no templates; file skipped", where)
        return None
    return SourceFile(path, intent, sub, templates, split_templates(templates, fraction))


def load_sources(source_dir: Path, fraction: float = TEST_TEMPLATE_FRACTION) -> List[SourceFile]:
    """Every usable source file of ``source_dir`` (``*.yml`` then ``*.yaml``, sorted; not recursive)."""
    if not source_dir.is_dir():
        return []
    paths = sorted(source_dir.glob("*.yml")) + sorted(source_dir.glob("*.yaml"))
    return [sf for sf in (read_source(p, fraction) for p in paths) if sf is not None]


def literal_text(sources: List[SourceFile]) -> List[str]:
    """The template text outside placeholders (for the homophone inventory)."""
    return ["".join(PLACEHOLDER_RE.split(t)[::2]) for sf in sources for t in sf.templates]
