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
def test_every_encoder_serves_its_fused_int8_graph(agent):
    """The default precision reaches the trained model: a graph that fails its check falls back
    to a slower one with only a warning, so this is where that would show."""
    networks = {
        name: node._component.network
        for name, node in agent.processor.graph_runner._instantiated_nodes.items()
        if getattr(getattr(node, "_component", None), "network", None) is not None
    }
    from neural import onnx_inference

    expected = (
        ("fusion", "int8 weights") if onnx_inference.precision_setting("int8") == "int8" else ("fusion",)
    )
    assert len(networks) == 3, sorted(networks)
    for name, network in networks.items():
        assert network.uses_onnx and network._onnx.steps == expected, name


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


# -- real patients' way of writing (issue: realistic split, mixed messages) -------------------
REALISTIC = PROJECT_ROOT / "tests" / "nlu_realistic"
# Floors well under the measured figures (README: sub-intent 0.86, deny band 0.4%), so a
# model trained from scratch on another machine passes and a real regression does not.
REALISTIC_SUB_INTENT_FLOOR = 0.80
REALISTIC_DENY_CEILING = 0.10


@pytest.mark.slow
def test_realistic_split_sub_intents_and_deny_band(agent):
    from tools.eval import nlu, strategies

    examples = nlu.load_examples(REALISTIC)

    async def parse_all():
        return [await agent.parse_message(e.text) for e in examples]

    parses = asyncio.run(parse_all())
    report = nlu.evaluate(examples, parses)
    assert report["intent"]["accuracy"] >= 0.97, report["errors"]["intent"][:10]
    assert report["sub_intent"]["accuracy"] >= REALISTIC_SUB_INTENT_FLOOR, report["errors"]["sub_intent"][:20]
    shares = strategies.shares(strategies.first_strategies(parses))
    assert shares.get("deny", 0.0) <= REALISTIC_DENY_CEILING, shares


@pytest.mark.slow
@pytest.mark.parametrize(
    "text, questions",
    [
        ("糖尿病吃什么药？能治好吗？", ["treatment", "cure_rate"]),
        ("我妈今年六十岁，有高血压，平时吃什么好，要做哪些检查", ["taboo", "check"]),
        ("胃炎会传染吗，要挂什么科", ["infectivity", "department"]),
    ],
)
def test_two_questions_in_one_message(agent, text, questions):
    parsed = asyncio.run(agent.parse_message(text))
    assert [q["name"] for q in parsed["sub_intents"]] == questions
    assert all(text[q["start"] : q["end"]] == q["text"] for q in parsed["sub_intents"])


@pytest.mark.slow
def test_one_question_has_no_sub_intents(agent):
    parsed = asyncio.run(agent.parse_message("我妈今年六十岁，有高血压，平时吃什么好"))
    assert "sub_intents" not in parsed
