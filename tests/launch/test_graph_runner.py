"""bot/graph_runner.py: the trained model's prediction graph gives the same parses and the same
next-action predictions through the sequential runner as through Rasa's dask runner."""

import json

import pytest

from bot import graph_runner, rasa_patches
from core.paths import PROJECT_ROOT

MODEL = PROJECT_ROOT / "models" / "hospital.tar.gz"
TEXTS = [
    "感冒有什么症状",
    "我妈妈最近得了糖尿并，平时在饮食上需要注意一些什么呢？请问下",
    "胃炎和胃溃疡有什么区别吗，平时吃东西要注意哪些事情呢",
    "你好",
    "谢谢医生",
    "",
    "嗯" * 300,
]


@pytest.fixture(scope="module")
def processor():
    if not MODEL.exists():
        pytest.skip(f"{MODEL} is absent: train it first (make train)")
    from rasa.core.agent import Agent

    rasa_patches.install()
    agent = Agent.load(str(MODEL))
    assert isinstance(agent.processor.graph_runner, graph_runner.SequentialGraphRunner)
    return agent.processor


def test_installed_by_the_project_patches():
    rasa_patches.install()
    assert graph_runner.installed() and rasa_patches.installed()


@pytest.mark.slow
def test_plan_calls_every_node_after_what_it_needs(processor):
    runner = processor.graph_runner
    target = processor.model_metadata.nlu_target
    plan = runner.plan([target], ["__message__", "__tracker__"])
    names = [name for name, _ in plan]
    assert names[-1] == target and len(names) == len(set(names))
    for position, (_, needs) in enumerate(plan):
        for need in needs:
            assert need in ("__message__", "__tracker__") or names.index(need) < position
    assert runner.plan([target], ["__tracker__", "__message__"]) is plan  # cached, input order free


@pytest.mark.slow
def test_same_parses_and_predictions_as_dask(processor):
    from rasa.core.channels import UserMessage
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    runner = processor.graph_runner
    nlu, core = processor.model_metadata.nlu_target, processor.model_metadata.core_target

    def parse(run, text):
        tracker = DialogueStateTracker.from_events("t", [])
        inputs = {"__message__": [UserMessage(text, message_id="m1")], "__tracker__": tracker}
        return json.dumps(run(runner, inputs, [nlu])[nlu][0].as_dict(), sort_keys=True, ensure_ascii=False)

    for text in TEXTS:
        assert parse(graph_runner.SequentialGraphRunner.run, text) == parse(DaskGraphRunner.run, text), text

    for text in TEXTS[:5]:
        parsed = json.loads(parse(graph_runner.SequentialGraphRunner.run, text))
        events = [
            ActionExecuted("action_listen"),
            UserUttered(text, parsed["intent"], parsed.get("entities", [])),
        ]
        tracker = DialogueStateTracker.from_events("t", events, slots=processor.domain.slots)
        ours = runner.run(inputs={"__tracker__": tracker}, targets=[core])[core]
        theirs = DaskGraphRunner.run(runner, inputs={"__tracker__": tracker}, targets=[core])[core]
        assert (ours.probabilities, ours.policy_name) == (theirs.probabilities, theirs.policy_name), text


@pytest.mark.slow
@pytest.mark.parametrize(
    ("target", "value"),
    [
        ("run_RegexMessageHandler", "nlu_message_converter"),  # a node this target needs: refused
        ("domain_provider", "nlu_message_converter"),  # a node it does not need: accepted
    ],
)
def test_an_input_named_like_a_node_is_treated_as_dask_treats_it(processor, target, value):
    from rasa.engine.runner.dask import DaskGraphRunner

    def outcome(run):
        try:
            run(processor.graph_runner, {"__tracker__": value}, [target])
        except Exception as exc:  # the type is what must agree
            return type(exc).__name__
        return "ran"

    ours = outcome(graph_runner.SequentialGraphRunner.run)
    assert ours == outcome(DaskGraphRunner.run)
    assert ours == ("GraphRunError" if target == "run_RegexMessageHandler" else "ran")


@pytest.mark.slow
def test_the_main_intent_classifier_starts_when_the_messages_exist(processor, monkeypatch):
    # early start (neural/classifier.py): the TinyBERT-RNN scores the text on its worker thread
    # while the nodes before it run; the sub-intent TextCNN reads the linked mentions and declines
    import threading

    from rasa.core.channels import UserMessage
    from rasa.shared.core.trackers import DialogueStateTracker

    from intents.roberta_textcnn_classifier import RobertaTextCnnClassifier
    from intents.tinybert_rnn_classifier import TinyBertRnnClassifier

    runner = processor.graph_runner
    target = processor.model_metadata.nlu_target
    plan = runner.plan([target], ["__message__", "__tracker__"])
    starters = runner._early_starters(plan)
    assert {type(c) for c in starters} == {TinyBertRnnClassifier, RobertaTextCnnClassifier}
    assert runner._early[id(plan)][1] == starters  # found once per plan
    tinybert = next(c for c in starters if isinstance(c, TinyBertRnnClassifier))
    scored = []
    original = tinybert._logit_rows

    def logit_rows(*args, **kwargs):
        scored.append((list(args[0]), threading.current_thread()))
        return original(*args, **kwargs)

    monkeypatch.setattr(tinybert, "_logit_rows", logit_rows)
    tracker = DialogueStateTracker.from_events("t", [])
    inputs = {"__message__": [UserMessage("感冒有什么症状", message_id="m1")], "__tracker__": tracker}
    parsed = runner.run(inputs, [target])[target][0]
    assert [texts for texts, _ in scored] == [["感冒有什么症状"]]  # once (not again in its node)
    assert scored[0][1] is not threading.current_thread()  # on the worker
    assert parsed.get("intent")["name"] == "diagnosis"
    assert all(c.__dict__.get("_early") is None for c in starters)  # taken, or never begun


@pytest.mark.slow
def test_a_failing_early_start_only_costs_the_head_start(processor, monkeypatch):
    from rasa.core.channels import UserMessage
    from rasa.shared.core.trackers import DialogueStateTracker

    runner = processor.graph_runner
    target = processor.model_metadata.nlu_target
    for component in runner._early_starters(runner.plan([target], ["__message__", "__tracker__"])):
        # e.g. the worker cannot start: "cannot schedule new futures after interpreter shutdown"
        monkeypatch.setattr(
            component, "start_early", lambda messages: (_ for _ in ()).throw(RuntimeError("no worker"))
        )
    tracker = DialogueStateTracker.from_events("t", [])
    inputs = {"__message__": [UserMessage("感冒有什么症状", message_id="m1")], "__tracker__": tracker}
    parsed = runner.run(inputs, [target])[target][0]  # the nodes compute their own scores
    assert parsed.get("intent")["name"] == "diagnosis"
    assert parsed.get("intent_ranking") and parsed.get("sub_intent")["name"] == "symptom"
