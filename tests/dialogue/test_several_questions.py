"""Two or three questions about one disease in one message get one reply each, in its own band."""

from __future__ import annotations


def test_two_confident_questions_get_two_answers(chat):
    text = "糖尿病吃什么药？能治好吗？"
    replies = chat.say(
        text,
        sub_intent="treatment",
        confidence=0.5,
        diseases=["糖尿病"],
        questions=[("treatment", 0.93), ("cure_rate", 0.9)],
    )
    assert [(r["custom"]["strategy"], r["custom"]["sub_intent"]) for r in replies] == [
        ("answer", "treatment"),
        ("answer", "cure_rate"),
    ]
    assert all(r["custom"]["disease"] == "糖尿病" for r in replies)
    assert replies[0]["custom"]["confidence"] == 0.93 and replies[1]["custom"]["confidence"] == 0.9


def test_each_question_keeps_its_band_and_one_clarify_waits(chat):
    text = "胃炎会传染吗，要挂什么科，平时吃什么好"
    replies = chat.say(
        text,
        sub_intent="infectivity",
        confidence=0.45,
        diseases=["胃炎"],
        questions=[("infectivity", 0.6), ("department", 0.95), ("taboo", 0.55)],
    )
    # the confident one first, then one clarify; the third unsure one is not asked at once
    assert [(r["custom"]["strategy"], r["custom"]["sub_intent"]) for r in replies] == [
        ("answer", "department"),
        ("clarify", "infectivity"),
    ]
    [confirmed] = chat.say("是的", intent="accept")
    assert (confirmed["custom"]["strategy"], confirmed["custom"]["sub_intent"]) == ("confirm", "infectivity")


def test_the_disease_from_context_serves_both(chat):
    chat.say("高血压怎么治疗", sub_intent="treatment", diseases=["高血压"])
    replies = chat.say(
        "那要做什么检查？多久能好？",
        sub_intent="check",
        confidence=0.6,
        questions=[("check", 0.9), ("cure_time", 0.85)],
    )
    assert [r["custom"]["sub_intent"] for r in replies] == ["check", "cure_time"]
    assert {r["custom"]["disease"] for r in replies} == {"高血压"}


def test_one_graph_question_left_is_the_usual_path(chat):
    replies = chat.say(
        "糖尿病吃什么药，医保能报吗",
        sub_intent="treatment",
        confidence=0.9,
        diseases=["糖尿病"],
        questions=[("treatment", 0.9), ("other", 0.8)],
    )
    assert [r["custom"]["strategy"] for r in replies] == ["answer"]


def test_questions_about_two_diseases_take_the_usual_path(chat):
    replies = chat.say(
        "糖尿病吃什么药？高血压能治好吗？",
        sub_intent="treatment",
        confidence=0.9,
        diseases=["糖尿病", "高血压"],
        questions=[("treatment", 0.9), ("cure_rate", 0.9)],
    )
    assert [(r["custom"]["strategy"], r["custom"]["disease"]) for r in replies] == [("answer", "糖尿病")]


def test_unsure_questions_beyond_one_clarify_are_named(chat):
    replies = chat.say(
        "胃炎会传染吗，要挂什么科，吃什么好",
        sub_intent="infectivity",
        confidence=0.5,
        diseases=["胃炎"],
        questions=[("infectivity", 0.6), ("department", 0.6), ("taboo", 0.6)],
    )
    assert [r["custom"]["strategy"] for r in replies] == ["clarify"]
    assert "就诊科室" in replies[0]["text"] and "饮食禁忌" in replies[0]["text"]


def test_the_other_reading_is_offered_once(chat):
    from .test_readings import dual

    text = "失眠怎么治疗？能治好吗？"
    replies = chat.say(
        text,
        sub_intent="treatment",
        confidence=0.9,
        entities=[dual("失眠", text)],
        questions=[("treatment", 0.95), ("cure_rate", 0.9)],
    )
    assert [r["custom"]["strategy"] for r in replies] == ["answer", "answer"]
    assert [bool(r.get("buttons")) for r in replies] == [False, True]
