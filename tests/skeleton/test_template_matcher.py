"""The rule-based template matcher: small talk, diagnosis, sub-intent keywords."""

import pytest
from rasa.shared.nlu.training_data.message import Message

from intents import votes
from intents.template_matcher import TemplateMatcher


@pytest.fixture(scope="module")
def matcher():
    return TemplateMatcher(TemplateMatcher.get_default_config())


@pytest.mark.parametrize(
    "text,intent",
    [
        ("你好", "greet"),
        ("您好呀", "greet"),
        ("再见", "goodbye"),
        ("你是机器人吗", "isbot"),
        ("是的", "accept"),
        ("不是", "deny"),
        ("继续", "accept"),
        ("转人工", "handoff"),
        ("我要投诉", "handoff"),
        ("你们电话多少", "handoff"),
        ("你是人工客服吗", "isbot"),
        ("感冒要挂哪个科的医生", "diagnosis"),
        ("你好，感冒怎么治", "diagnosis"),
        ("感冒有什么症状", "diagnosis"),
    ],
)
def test_main_intent(matcher, text, intent):
    message = Message(data={"text": text})
    matcher.process([message])
    assert message.get("intent")["name"] == intent
    if intent != "diagnosis":  # it votes in the ensemble only when a pattern matched
        assert message.get(votes.INTENT_VOTES)["template_matcher"][0]["name"] == intent
    ranking = message.get("intent_ranking")
    assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-6


@pytest.mark.parametrize(
    "text,sub",
    [
        ("感冒有什么症状", "symptom"),
        ("糖尿病怎么治疗", "treatment"),
        ("高血压挂什么科", "department"),
        ("肺结核会传染吗", "infectivity"),
        ("痛风不能吃什么", "taboo"),
        ("胃炎要做哪些检查", "check"),
    ],
)
def test_sub_intent_keywords(matcher, text, sub):
    scores = matcher.sub_scores(text)
    assert max(scores, key=scores.get) == sub and scores[sub] > 0.5
    message = Message(data={"text": text})
    matcher.process([message])
    assert message.get("sub_intent") is None  # the sub-intent vote sets it, not the matcher


def test_no_keyword_is_other_with_low_confidence(matcher):
    assert matcher.sub_scores("随便说说")["other"] == max(matcher.sub_scores("随便说说").values())
    assert max(matcher.sub_scores("随便说说").values()) < 0.4


def test_unknown_intent_in_rules_file_is_rejected(tmp_path):
    path = tmp_path / "rules.yml"
    path.write_text("main_intents:\n  chitchat: ['x']\n", encoding="utf-8")
    with pytest.raises(ValueError, match="chitchat"):
        TemplateMatcher({**TemplateMatcher.get_default_config(), "rules_file": str(path)})
