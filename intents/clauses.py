"""The questions of a message that asks more than one (糖尿病吃什么药？能治好吗？).

Why: one message in ten from real patients asks two things at once, and one sub-intent
for the whole message answers only one of them. :func:`question_clauses` cuts a message
at sentence punctuation and joining words (还有, 另外 …) and keeps the pieces that ask
something (a question word or mark); a piece that only tells (我妈今年六十岁) is kept as
the background of the next question. The sub-intent members score each question too
(:func:`record_clause_votes`), the sub-intent voter combines them into ``sub_intents``,
and the dialogue answers each (``bot/actions/medical_flow.py``).

One pass over the text and substring checks: linear in the message, no regular expressions.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from intents import votes
from neural.data import Span as EntitySpan
from neural.data import spans_of

SUB_INTENT_CLAUSE_VOTES = "sub_intent_clause_votes"  # member -> [ranking per question clause]
SUB_INTENT_CLAUSES = "sub_intent_clauses"  # the question clauses' (start, end)
SUB_INTENTS = "sub_intents"  # the output: [{name, confidence, start, end, text}] per question

MAX_QUESTIONS = 3
MIN_CLAUSE_CHARS = 3
SEPARATORS = frozenset("？?。！!；;，,\n")
JOINERS = ("还有", "另外", "以及", "顺便问", "再问", "还想问", "还想知道", "同时")
QUESTION_CUES = (
    "吗",
    "嘛",
    "呢",
    "什么",
    "啥",
    "怎么",
    "咋",
    "怎样",
    "如何",
    "哪",
    "多久",
    "多长",
    "多少",
    "能不能",
    "会不会",
    "可不可以",
    "要不要",
    "是否",
    "有没有",
    "为什么",
    "为啥",
    "?",
    "？",
)

Span = Tuple[int, int]


def _pieces(text: str) -> List[Span]:
    """The text cut at separators and before joining words, as (start, end) spans."""
    cuts = {0, len(text)}
    for i, ch in enumerate(text):
        if ch in SEPARATORS:
            cuts.add(i + 1)
    for joiner in JOINERS:
        at = text.find(joiner)
        while at >= 0:
            cuts.add(at)
            at = text.find(joiner, at + len(joiner))
    ordered = sorted(cuts)
    return [(a, b) for a, b in itertools.pairwise(ordered) if text[a:b].strip()]


def asks(piece: str) -> bool:
    return any(cue in piece for cue in QUESTION_CUES)


def question_clauses(text: str) -> List[Span]:
    """Spans of the questions of ``text`` (each with the telling pieces before it), or ``[]``
    when it asks fewer than two (or more than :data:`MAX_QUESTIONS`) things."""
    out: List[Span] = []
    start: Optional[int] = None
    for a, b in _pieces(text):
        if start is None:
            start = a
        if asks(text[a:b]) and len(text[start:b].strip()) >= MIN_CLAUSE_CHARS:
            out.append((start, b))
            start = None
    if start is not None and out:  # a telling tail (谢谢) belongs to the last question
        out[-1] = (out[-1][0], len(text))
    return out if 2 <= len(out) <= MAX_QUESTIONS else []


Predict = Callable[[Sequence[str], Sequence[Sequence[EntitySpan]]], List[Dict[str, float]]]


def record_clause_votes(messages: Sequence[Message], predict: Predict, member: str) -> None:
    """Score every question clause of each message that asks several, with ``predict`` (a
    member's ``predict(texts, entity spans)``), and record them as ``member``'s clause votes."""
    for message in messages:
        text = message.get(TEXT) or ""
        clauses = message.get(SUB_INTENT_CLAUSES)
        if clauses is None:
            clauses = question_clauses(text)
            message.set(SUB_INTENT_CLAUSES, clauses)
        if not clauses:
            continue
        entities = message.get(ENTITIES) or []
        texts: List[str] = []
        spans: List[Sequence[EntitySpan]] = []
        for start, end in clauses:
            texts.append(text[start:end])
            inside = [
                {**e, "start": e["start"] - start, "end": e["end"] - start}
                for e in entities
                if isinstance(e.get("start"), int) and start <= e["start"] and e.get("end", end + 1) <= end
            ]
            spans.append(spans_of(text[start:end], inside))
        clause_votes = dict(message.get(SUB_INTENT_CLAUSE_VOTES) or {})
        clause_votes[member] = [votes.ranking(scores) for scores in predict(texts, spans)]
        message.set(SUB_INTENT_CLAUSE_VOTES, clause_votes)


def set_sub_intents(message: Message, per_clause: Sequence[Dict[str, float]]) -> None:
    """Output one ``{name, confidence, start, end, text}`` per question clause, when they ask
    different things (two clauses of one question type are one question)."""
    text = message.get(TEXT) or ""
    clauses = message.get(SUB_INTENT_CLAUSES) or []
    out: List[Dict[str, Any]] = []
    for (start, end), scores in zip(clauses, per_clause):
        if not scores:
            return
        best = votes.ranking(scores)[0]
        if any(q["name"] == best["name"] for q in out):
            continue
        out.append({**best, "start": start, "end": end, "text": text[start:end]})
    if len(out) >= 2:
        message.set(SUB_INTENTS, out, add_to_output=True)
