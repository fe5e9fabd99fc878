"""Cutting a message into its questions, and the sub-intent voter's one vote per question."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from intents import clauses
from intents.ensemble_voter import EnsembleVoter


@pytest.mark.parametrize(
    "text, questions",
    [
        ("糖尿病吃什么药？能治好吗？", ["糖尿病吃什么药？", "能治好吗？"]),
        (
            "我妈六十岁，有高血压，平时吃什么好，要做哪些检查",
            ["我妈六十岁，有高血压，平时吃什么好，", "要做哪些检查"],
        ),
        ("胃炎会传染吗，要挂什么科，谢谢", ["胃炎会传染吗，", "要挂什么科，谢谢"]),
        ("感冒吃什么药还有多久能好", ["感冒吃什么药", "还有多久能好"]),
    ],
)
def test_questions_with_their_background(text, questions):
    assert [text[a:b] for a, b in clauses.question_clauses(text)] == questions


@pytest.mark.parametrize(
    "text",
    ["高血压怎么治疗", "请问医生，肺炎要住院吗", "你好，糖尿病的症状有哪些", "", "吗吗吗吗吗吗", "a" * 5000],
)
def test_one_question_is_not_cut(text):
    assert clauses.question_clauses(text) == []


def test_more_than_three_questions_are_left_whole():
    assert clauses.question_clauses("吃什么药？能治好吗？会传染吗？挂什么科？") == []


def test_long_input_stays_linear():
    import time

    text = "还有吗，另外" * 20000  # 120,000 characters, every piece a question and a joiner
    started = time.perf_counter()
    assert clauses.question_clauses(text) == []  # many questions: left whole
    # a generous bound (it takes about 0.1 s): a quadratic cutter would take minutes
    assert time.perf_counter() - started < 5.0


def test_joiners_are_cut_after_a_leading_one():
    text = "还有糖尿病吃什么药还有能治好吗"
    assert [text[a:b] for a, b in clauses.question_clauses(text)] == ["还有糖尿病吃什么药", "还有能治好吗"]


def _voted(text, member_scores):
    message = Message(data={"text": text})
    for member, per_clause in member_scores.items():
        clauses.record_clause_votes([message], lambda texts, spans, s=per_clause: s[: len(texts)], member)
        message.set(
            "sub_intent_vote_weights", {**(message.get("sub_intent_vote_weights") or {}), member: 0.9}
        )
    voter = EnsembleVoter({**EnsembleVoter.get_default_config(), "target": "sub_intent"})
    voter.process([message])
    return message.get(clauses.SUB_INTENTS)


def test_the_voter_outputs_one_sub_intent_per_question():
    out = _voted(
        "糖尿病吃什么药？能治好吗？",
        {
            "a": [{"treatment": 0.8, "cure_rate": 0.2}, {"cure_rate": 0.7, "treatment": 0.3}],
            "b": [{"treatment": 0.6, "cure_rate": 0.4}, {"cure_rate": 0.9, "treatment": 0.1}],
        },
    )
    assert [(q["name"], q["text"]) for q in out] == [
        ("treatment", "糖尿病吃什么药？"),
        ("cure_rate", "能治好吗？"),
    ]
    assert out[0]["confidence"] == pytest.approx(0.7) and out[1]["confidence"] == pytest.approx(0.8)


def test_two_clauses_of_one_type_are_one_question():
    out = _voted("糖尿病吃什么药？用什么药好？", {"a": [{"treatment": 0.9}, {"treatment": 0.8}]})
    assert out is None
