"""A name that is both a disease and a symptom (失眠, 便秘 in the sample graph; 头痛, 腹泻 … in
the public one) is read by the whole message: complaints get suggestions, a question about it
gets the disease entry, and the other reading is offered as a button."""

from __future__ import annotations

import pytest

from bot.actions import readings
from bot.actions.nlu_view import ParsedMessage

from .conftest import entity


def dual(name: str, message: str, symptom: str = "") -> dict:
    """The dictionary extractor's mention of a disease that is also a symptom."""
    found = entity("disease", name, message=message)
    found["also"] = {"entity": "symptom", "value": symptom or name}
    return found


def parsed(text: str, *extra: dict, name: str = "失眠") -> ParsedMessage:
    entities = [dual(name, text), *extra]
    return ParsedMessage(text, "diagnosis", 0.99, "treatment", 0.9, entities)


@pytest.mark.parametrize(
    "text",
    [
        "我最近老是失眠，是什么病",
        "我失眠三天了",
        "孩子晚上总是失眠怎么办",
        "我失眠是怎么回事",
        "失眠可能是哪些疾病引起的",
        "我失眠是什么病",
    ],
)
def test_complaints_read_the_name_as_a_symptom(text):
    out = readings.resolve(parsed(text))
    assert out.values("symptom") == ["失眠"] and out.values("disease") == []
    assert readings.disease_offer(out) == "失眠"


@pytest.mark.parametrize(
    "text",
    ["失眠怎么治疗", "失眠是什么病", "失眠会传染吗", "失眠吃什么好", "失眠是怎么回事", "什么情况下容易失眠"],
)
def test_a_question_about_it_reads_the_disease(text):
    out = readings.resolve(parsed(text))
    assert out.values("disease") == ["失眠"] and out.values("symptom") == []
    assert readings.symptom_offer(out, "失眠") == "失眠"


def test_another_symptom_or_another_disease_makes_it_a_symptom():
    text = "失眠乏力"
    with_symptom = readings.resolve(parsed(text, entity("symptom", "乏力", message=text)))
    assert with_symptom.values("symptom") == ["失眠", "乏力"]
    assert readings.disease_offer(with_symptom) is None  # a list of complaints: no disease button
    text = "更年期综合征会失眠吗"
    with_disease = readings.resolve(parsed(text, entity("disease", "更年期综合征", message=text)))
    assert with_disease.values("disease") == ["更年期综合征"] and with_disease.values("symptom") == ["失眠"]


def test_other_symptoms_of_a_question_about_its_symptoms_keep_the_disease():
    text = "失眠会乏力吗"
    message = ParsedMessage(
        text, "diagnosis", 0.99, "symptom", 0.9, [dual("失眠", text), entity("symptom", "乏力", message=text)]
    )
    assert readings.resolve(message).values("disease") == ["失眠"]


def test_the_symptom_button_reads_as_complaints():
    question = readings.symptom_question("头痛")
    assert readings.describes_complaints(ParsedMessage(question, "diagnosis", 0.99, "other", 0.9))


def test_messages_without_such_names_are_untouched():
    message = ParsedMessage(
        "糖尿病怎么治疗", "diagnosis", 0.99, "treatment", 0.9, [entity("disease", "糖尿病")]
    )
    assert readings.resolve(message) is message


# -- through the actions, with the sample graph ---------------------------------------------
def test_a_complaint_gets_suggestions_and_the_disease_on_a_button(chat, kg):
    text = "我最近老是失眠，怎么办"
    [reply] = chat.say(text, sub_intent="treatment", confidence=0.9, entities=[dual("失眠", text)])
    assert reply["custom"]["strategy"] == "suggest_diseases"
    suggested = [item["disease"] for item in reply["custom"]["items"]]
    assert suggested == [m.disease for m in kg.diseases_for_symptoms(["失眠"], limit=3)]
    assert reply["buttons"] == [{"title": "失眠怎么治疗", "payload": "失眠怎么治疗"}]
    assert "失眠怎么治疗" in reply["text"]


def test_a_question_about_it_gets_the_entry_and_the_symptom_on_a_button(chat, kg):
    text = "失眠怎么治疗"
    [reply] = chat.say(text, sub_intent="treatment", confidence=0.95, entities=[dual("失眠", text)])
    assert reply["custom"]["strategy"] == "answer" and reply["custom"]["disease"] == "失眠"
    offer = readings.symptom_question("失眠")
    assert reply["buttons"] == [{"title": offer, "payload": offer}] and offer in reply["text"]
    # The button, read by the NLU the same way, asks for the diseases with that symptom.
    [after] = chat.say(offer, sub_intent="other", confidence=0.7, entities=[dual("失眠", offer)])
    assert after["custom"]["strategy"] == "suggest_diseases"


def test_a_named_disease_keeps_the_topic(chat):
    text = "更年期综合征会失眠吗"
    entities = [entity("disease", "更年期综合征", message=text), dual("失眠", text)]
    [reply] = chat.say(text, sub_intent="symptom", confidence=0.95, entities=entities)
    assert reply["custom"]["strategy"] == "answer" and reply["custom"]["disease"] == "更年期综合征"
    assert not reply.get("buttons")


def test_odd_entities_never_break_the_reading():
    broken = [
        "not a dict",
        {"entity": "disease", "linked": True, "also": {"entity": "symptom", "value": "失眠"}},  # no value
        {"entity": "disease", "value": "失眠", "linked": True, "also": "symptom"},
        {"entity": "disease", "value": "失眠", "linked": True, "also": {"entity": "symptom", "value": 3}},
    ]
    message = ParsedMessage(
        "我最近老是失眠", "diagnosis", 0.99, "treatment", 0.9, [e for e in broken if isinstance(e, dict)]
    )
    assert readings.resolve(message).values("symptom") == []
    assert not any(readings._is_dual(e) for e in broken)


def test_the_asker_is_not_the_patient():
    assert readings.resolve(parsed("我想问失眠晚上吃什么药")).values("disease") == ["失眠"]
