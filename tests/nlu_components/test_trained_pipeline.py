"""The trained model (``make train`` writes models/hospital.tar.gz) parses clear questions right."""

import asyncio

import pytest

from core.paths import PROJECT_ROOT
from core.vocabulary import MAIN_INTENTS, SUB_INTENTS

MODEL = PROJECT_ROOT / "models" / "hospital.tar.gz"

CASES = [
    # text, main intent, sub-intent (diagnosis only), disease (canonical graph name)
    ("感冒有什么症状", "diagnosis", "symptom", "感冒"),
    ("糖尿病应该怎么治疗", "diagnosis", "treatment", "糖尿病"),
    ("高血压要挂什么科", "diagnosis", "department", "高血压"),
    ("肺结核会传染吗", "diagnosis", "infectivity", "肺结核"),
    ("你好", "greet", None, None),
    ("再见", "goodbye", None, None),
    ("你是机器人吗", "isbot", None, None),
    ("我要转人工", "handoff", None, None),
]


@pytest.fixture(scope="module")
def agent():
    if not MODEL.exists():
        pytest.skip(f"{MODEL} is absent: train it first (make train)")
    from rasa.core.agent import Agent

    return Agent.load(str(MODEL))


@pytest.mark.slow
@pytest.mark.parametrize("text,intent,sub_intent,disease", CASES)
def test_trained_model_parses(agent, text, intent, sub_intent, disease):
    parsed = asyncio.run(agent.parse_message(text))
    assert parsed["intent"]["name"] == intent
    assert {r["name"] for r in parsed["intent_ranking"]} == set(MAIN_INTENTS)
    if sub_intent:
        assert parsed["sub_intent"]["name"] == sub_intent
        assert {r["name"] for r in parsed["sub_intent_ranking"]} == set(SUB_INTENTS)
    diseases = [e["value"] for e in parsed.get("entities", []) if e["entity"] == "disease"]
    assert diseases == ([disease] if disease else [])
