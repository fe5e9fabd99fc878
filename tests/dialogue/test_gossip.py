"""Small talk from domain.yml responses: several variations, the configurable bot name."""

import pytest

from bot.responses import texts
from tests.dialogue.conftest import shown_texts


@pytest.mark.parametrize("intent", ["greet", "goodbye", "isbot", "accept", "deny"])
def test_small_talk_is_a_domain_response_with_several_variations(chat, intent):
    assert len(texts(f"utter_{intent}", bot_name="小医")) >= 3
    [reply] = chat.say("…", intent=intent, intent_confidence=0.93)
    assert reply["response"] == f"utter_{intent}" and reply["text"] is None
    assert set(shown_texts(reply)) == set(texts(f"utter_{intent}", bot_name="小医"))
    assert reply["custom"]["strategy"] == "gossip" and reply["custom"]["intent"] == intent
    assert reply["custom"]["confidence"] == 0.93 and reply["custom"]["sub_intent"] is None


def test_the_bot_name_is_configurable(chat, settings_file):
    settings_file(bot_name="小华")
    [reply] = chat.say("你是谁", intent="isbot")
    assert reply["bot_name"] == "小华"
    assert all("小华" in t for t in shown_texts(reply) if "{bot_name}" in t or "小华" in t)
    assert any("小华" in t for t in shown_texts(reply))


@pytest.mark.parametrize(
    "text, intent",
    [
        ("你好，请问糖尿病怎么治疗", "greet"),
        ("谢谢医生，那糖尿病怎么治疗呢", "goodbye"),
        ("是的，我还想问糖尿病怎么治疗", "accept"),
        ("你是机器人吗？糖尿病怎么治疗", "isbot"),
    ],
)
def test_a_greeting_or_thanks_around_a_question_answers_the_question(chat, kg, text, intent):
    [reply] = chat.say(text, intent=intent, sub_intent="treatment", confidence=0.92, diseases=["糖尿病"])
    custom = reply["custom"]
    assert (custom["strategy"], custom["intent"], custom["disease"]) == ("answer", "diagnosis", "糖尿病")
    assert custom["items"] == kg.ask("treatment", "糖尿病").items


def test_the_question_inside_a_greeting_keeps_its_band(chat):
    [reply] = chat.say(
        "您好，糖尿病吃", intent="greet", sub_intent="taboo", confidence=0.6, diseases=["糖尿病"]
    )
    assert reply["custom"]["strategy"] == "clarify"


def test_a_greeting_with_symptoms_gets_disease_suggestions(chat):
    strategies = chat.strategies("你好，我头痛还发热", intent="greet", sub_intent="other", confidence=0.3,
                                 symptoms=["头痛", "发热"])  # fmt: skip
    assert strategies == ["suggest_diseases"]


def test_a_plain_greeting_is_still_small_talk(chat):
    [reply] = chat.say("你好", intent="greet", sub_intent="definition", confidence=0.3)
    assert reply["custom"]["strategy"] == "gossip"
