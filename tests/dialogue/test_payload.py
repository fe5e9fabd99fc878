"""The ``custom`` object on every bot message (every test's Conversation checks the keys;
these check the values the hospital's systems rely on)."""

import pytest

from bot.actions.payload import STRATEGIES, build_payload


def test_unknown_strategies_are_rejected():
    with pytest.raises(ValueError, match="unknown strategy"):
        build_payload("shrug")


def test_a_whole_conversation_uses_only_known_strategies_and_fills_the_fields(chat):
    seen = set()
    script = [
        dict(text="你好", intent="greet"),
        dict(text="怎么治疗", sub_intent="treatment", confidence=0.9),
        dict(text="糖尿病怎么治疗", sub_intent="treatment", confidence=0.6, diseases=["糖尿病"]),
        dict(text="是的", intent="accept"),
        dict(text="那怎么预防", sub_intent="prevention", confidence=0.2),
        dict(text="头痛发热", sub_intent="definition", symptoms=["头痛", "发热"]),
        dict(text="我想自杀", sub_intent="other", confidence=0.1),
        dict(text="抑郁症怎么治疗", sub_intent="treatment", diseases=["抑郁症"]),
        dict(text="再见", intent="goodbye"),
    ]
    for step in script:
        for message in chat.say(**step):
            custom = message["custom"]
            seen.add(custom["strategy"])
            assert custom["intent"] == step.get("intent", "diagnosis")
            assert isinstance(custom["items"], list) and isinstance(custom["departments"], list)
            assert custom["confidence"] is None or 0.0 <= custom["confidence"] <= 1.0
    assert seen <= set(STRATEGIES)
    assert {
        "gossip",
        "clarify",
        "confirm",
        "deny",
        "ask_slot",
        "suggest_diseases",
        "emergency",
        "not_found",
    } <= seen


def test_departments_come_with_every_answer(chat):
    [reply] = chat.say("痛风不能吃什么", sub_intent="taboo", diseases=["痛风"])
    assert reply["custom"]["departments"] == ["风湿免疫科"]
