"""Training examples, the dev split and training-only augmentation.

* ``examples_from`` reads text, main intent, sub-intent and character spans of the
  entities from Rasa ``TrainingData`` (the NLU YAML in ``data/nlu``); the labels are
  those of ``core.vocabulary``, and an example with any other label is an error, not
  silently left out of training.
* ``dev_split`` holds out a deterministic share of the *templates*: examples are
  grouped by their text with entity mentions replaced by their type, so that sentences
  from one template with different disease names land on the same side. Every component
  (and the template matcher) gets the same split from the same data, which makes their
  dev accuracies comparable for the ensemble's vote weights.
* ``Augmenter`` makes new training sentences only (never dev or test): it swaps entity
  mentions for other mentions of the same type, invents names by splicing two known
  ones, and puts typos in names, so the models learn from context and word shape
  rather than memorising the graph's names. For the classifiers it also writes part of
  the question in toneless pinyin (``in_pinyin``), as patients sometimes type it, so
  every phrasing we have teaches the pinyin form too.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field, replace
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from pypinyin import Style, lazy_pinyin
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from core.vocabulary import DEV_FRACTION, DEV_SEED, MAIN_INTENTS, MEDICAL_INTENT, SUB_INTENTS
from neural.text import segments

Span = Tuple[int, int, str]  # (start, end, entity type), character offsets


@dataclass(frozen=True)
class Example:
    text: str
    intent: Optional[str] = None
    sub_intent: Optional[str] = None
    entities: Tuple[Span, ...] = field(default_factory=tuple)


def spans_of(text: str, entities: Iterable[Dict]) -> Tuple[Span, ...]:
    """Valid, non-overlapping spans sorted by start (the first of overlapping ones wins)."""
    spans: List[Span] = []
    for ent in sorted(entities or [], key=lambda e: (e.get("start", -1), -e.get("end", -1))):
        start, end, kind = ent.get("start"), ent.get("end"), ent.get("entity")
        if not isinstance(start, int) or not isinstance(end, int) or not kind:
            continue
        if 0 <= start < end <= len(text) and (not spans or start >= spans[-1][1]):
            spans.append((start, end, kind))
    return tuple(spans)


def gold_sub_intent(message: Message) -> Optional[str]:
    """The sub-intent label of a training example (intent-level metadata in the NLU YAML)."""
    metadata = message.get("metadata") or {}
    return (metadata.get("intent") or {}).get("sub_intent") or (metadata.get("example") or {}).get(
        "sub_intent"
    )


def examples_from(training_data: TrainingData) -> List[Example]:
    """Every NLU example with text (small talk and diagnosis), in file order.

    Messages Rasa derives from stories and the domain (no text, or text without an
    intent) are not NLU examples and are skipped. An NLU example whose intent or
    sub-intent ``core.vocabulary`` does not list raises ``ValueError``.
    """
    out: List[Example] = []
    for message in training_data.training_examples:
        text = message.get(TEXT)
        if not text or message.is_core_or_domain_message():
            continue
        intent = message.get(INTENT)
        if intent not in MAIN_INTENTS:
            raise ValueError(
                f"training example {text!r}: unknown intent {intent!r}; "
                f"use one of {list(MAIN_INTENTS)} (core.vocabulary)"
            )
        sub = gold_sub_intent(message) if intent == MEDICAL_INTENT else None
        if sub is not None and sub not in SUB_INTENTS:
            raise ValueError(
                f"training example {text!r}: unknown sub_intent {sub!r}; "
                f"use one of {list(SUB_INTENTS)} (core.vocabulary)"
            )
        out.append(Example(text, intent, sub, spans_of(text, message.get(ENTITIES))))
    return out


END_CHARS = " ？?。.！!~～"


def template_key(example: Example) -> str:
    """The example's text with entity mentions replaced by ``<type>`` (its template, roughly)."""
    return "".join(
        f"<{kind}>" if kind else piece for piece, kind in segments(example.text, example.entities)
    ).strip(END_CHARS)


def _unit_hash(key: str, seed: int) -> float:
    digest = hashlib.sha1(f"{seed}\x00{key}".encode()).hexdigest()[:12]
    return int(digest, 16) / float(16**12)


def dev_split(
    examples: Sequence[Example], fraction: float, seed: int = 0
) -> Tuple[List[Example], List[Example]]:
    """``(train, dev)``: about ``fraction`` of the templates go to dev, deterministically."""
    if fraction <= 0 or len(examples) < 10:
        return list(examples), []
    train: List[Example] = []
    dev: List[Example] = []
    for example in examples:
        (dev if _unit_hash(template_key(example), seed) < fraction else train).append(example)
    if not train:
        return list(examples), []
    return train, dev


def dev_split_defaults() -> Dict[str, object]:
    """The config keys of the shared dev split with their one default (``core.vocabulary``).

    Every voting member measures its vote weight on this split; a component's config may
    override them (tests, ``tools/eval``), ``config.yml`` does not, so all are measured alike.
    """
    return {"dev_fraction": DEV_FRACTION, "seed": DEV_SEED}


def check_dev_split(config: Dict, owner: str) -> None:
    """``InvalidConfigException`` unless ``0 <= dev_fraction < 1`` (0: no dev split) and
    ``seed`` is an integer."""
    fraction, seed = config.get("dev_fraction"), config.get("seed")
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 <= fraction < 1:
        raise InvalidConfigException(
            f"{owner}: dev_fraction must be in [0, 1) (0: no dev split), not {fraction!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidConfigException(f"{owner}: seed must be an integer, not {seed!r}")


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def in_pinyin(example: Example, rng: random.Random, longest: int = 8) -> Example:
    """``example`` with 2 to ``longest`` characters outside its mentions written in toneless
    pinyin, usually the end of a stretch (the question word): "[disease]怎么治" ->
    "[disease] zenme zhi". Patients type pinyin when they do not know (or cannot be
    bothered to find) the characters; this teaches the pinyin of every phrasing we have.
    """
    text = example.text
    taken: Set[int] = set()
    for start, end, _ in example.entities:
        taken.update(range(start, end))
    runs, i = [], 0
    while i < len(text):
        j = i
        while j < len(text) and j not in taken and _is_han(text[j]):
            j += 1
        if j - i >= 2:
            runs.append((i, j))
        i = max(j, i + 1)
    if not runs:
        return example
    start, end = rng.choice(runs)
    size = rng.randint(2, min(longest, end - start))
    start = end - size if rng.random() < 0.5 else rng.randint(start, end - size)
    syllables = lazy_pinyin(text[start : start + size], style=Style.NORMAL)
    style = rng.random()
    if style < 0.4:  # one word per syllable: "zen me zhi"
        written = " ".join(syllables)
    elif style < 0.7:  # run together: "zenmezhi"
        written = "".join(syllables)
    else:  # two-syllable words: "zenme zhi"
        written = " ".join("".join(syllables[k : k + 2]) for k in range(0, len(syllables), 2))
    before = " " if start > 0 and not text[start - 1].isspace() else ""
    after = " " if start + size < len(text) and not text[start + size].isspace() else ""
    return _replace_text(example, start, start + size, before + written + after)


def _replace_text(example: Example, start: int, end: int, new: str) -> Example:
    """``example`` with ``text[start:end]`` (outside its mentions) replaced by ``new``."""
    shift = len(new) - (end - start)
    spans = tuple(
        (s + shift, e + shift, kind) if s >= end else (s, e, kind) for s, e, kind in example.entities
    )
    return replace(example, text=example.text[:start] + new + example.text[end:], entities=spans)


class Augmenter:
    """Makes varied copies of training examples (entity swaps, invented names, typos)."""

    def __init__(
        self,
        examples: Sequence[Example],
        swap_prob: float = 0.5,
        splice_prob: float = 0.2,
        typo_prob: float = 0.1,
        pinyin_prob: float = 0.0,
    ) -> None:
        self.swap_prob, self.splice_prob, self.typo_prob = swap_prob, splice_prob, typo_prob
        self.pinyin_prob = pinyin_prob
        mentions: Dict[str, set] = {}
        for example in examples:
            for start, end, kind in example.entities:
                mentions.setdefault(kind, set()).add(example.text[start:end])
        self.mentions = {kind: sorted(names) for kind, names in mentions.items()}
        self.chars = {
            kind: sorted({ch for name in names for ch in name if not ch.isspace()})
            for kind, names in self.mentions.items()
        }

    def _new_name(self, kind: str, current: str, rng: random.Random) -> str:
        names = self.mentions.get(kind) or [current]
        name = rng.choice(names)
        if len(names) > 1 and rng.random() < self.splice_prob:
            other = rng.choice(names)
            if len(name) > 1 and len(other) > 1:  # head of one name + tail of another
                name = name[: rng.randint(1, len(name) - 1)] + other[rng.randint(1, len(other) - 1) :]
        if len(name) > 1 and rng.random() < self.typo_prob and self.chars.get(kind):
            i = rng.randrange(len(name))
            name = name[:i] + rng.choice(self.chars[kind]) + name[i + 1 :]
        return name

    def __call__(self, example: Example, rng: random.Random) -> Example:
        if rng.random() < self.pinyin_prob:
            example = in_pinyin(example, rng)
        if not example.entities:
            return example
        text, spans, shift, last = [], [], 0, 0
        for start, end, kind in example.entities:
            surface = example.text[start:end]
            if rng.random() < self.swap_prob:
                surface = self._new_name(kind, surface, rng)
            text.append(example.text[last:start])
            new_start = start + shift
            spans.append((new_start, new_start + len(surface), kind))
            text.append(surface)
            shift += len(surface) - (end - start)
            last = end
        text.append(example.text[last:])
        return replace(example, text="".join(text), entities=tuple(spans))
