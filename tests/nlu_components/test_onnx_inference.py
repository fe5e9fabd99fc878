"""The onnxruntime path (neural/onnx_inference.py) scores exactly as the torch network does
(fused, full precision), and within a few hundredths with int8 weights."""

import logging

import pytest
import torch

from intents.roberta_textcnn_classifier import RobertaTextCnnClassifier
from intents.tinybert_rnn_classifier import TinyBertRnnClassifier
from neural import onnx_inference
from slots.bert_bilstm_crf_extractor import BertBiLstmCrfExtractor
from tests.nlu_components.conftest import tiny_config, train_and_load

TEXTS = ["嗨", "好的", "胃炎有什么症状", "我妈最近老是头晕，这是什么病啊", "哮喘怎么治疗" * 8]

CLASSIFIERS = [
    (TinyBertRnnClassifier, {"rnn_hidden": 16}),
    (TinyBertRnnClassifier, {"rnn_hidden": 16, "rnn": "gru"}),
    (RobertaTextCnnClassifier, {"filters": 8}),
]


def eager(network):
    """The same network with its onnxruntime session switched off (torch only)."""
    network.__dict__["_onnx"] = None
    return network


def onnx_then_torch(loaded, answer, steps=("fusion",)):
    """``answer(text)`` for each of TEXTS, one message at a time: through onnxruntime (the
    loaded component must use it, with the load-time ``steps`` applied), then with the
    session switched off (eager torch)."""
    assert loaded.network.uses_onnx
    assert loaded.network._onnx.steps == steps
    with_onnx = [answer(t) for t in TEXTS]
    eager(loaded.network)
    return with_onnx, [answer(t) for t in TEXTS]


@pytest.mark.parametrize(("component", "overrides"), CLASSIFIERS)
def test_classifier_scores_match_torch(component, overrides, training_data, storage, context):
    config = tiny_config(component, epochs=2, **overrides)
    _, loaded = train_and_load(component, config, training_data, storage, context)
    with_onnx, with_torch = onnx_then_torch(loaded, lambda t: loaded.predict([t])[0])
    for text, onnx_scores, torch_scores in zip(TEXTS, with_onnx, with_torch):
        assert onnx_scores == pytest.approx(torch_scores, abs=1e-5), text
    assert max(with_onnx[0].values()) < 1.0  # real scores, not a constant


def test_tagger_spans_and_confidences_match_torch(training_data, storage, context):
    config = tiny_config(BertBiLstmCrfExtractor, epochs=8, lstm_hidden=16, learning_rate=5e-3)
    _, loaded = train_and_load(BertBiLstmCrfExtractor, config, training_data, storage, context)
    with_onnx, with_torch = onnx_then_torch(loaded, lambda t: loaded.extract([t])[0])
    for text, spans, reference in zip(TEXTS, with_onnx, with_torch):
        assert [s[:3] for s in spans] == [s[:3] for s in reference], text
        assert [s[3] for s in spans] == pytest.approx([s[3] for s in reference], abs=1e-5)
    assert any(with_onnx)  # it found mentions at all


def test_persisted_model_carries_its_onnx_graph(training_data, storage, context):
    config = tiny_config(TinyBertRnnClassifier, epochs=1, rnn_hidden=8)
    trained, _ = train_and_load(TinyBertRnnClassifier, config, training_data, storage, context)
    with storage.read_from(trained._resource) as directory:
        assert (directory / onnx_inference.ONNX_FILE).stat().st_size > 10_000


def test_a_model_without_its_graph_is_exported_when_loaded(training_data, storage, context):
    config = tiny_config(TinyBertRnnClassifier, epochs=1, rnn_hidden=8)
    trained, _ = train_and_load(TinyBertRnnClassifier, config, training_data, storage, context)
    with storage.read_from(trained._resource) as directory:
        (directory / onnx_inference.ONNX_FILE).unlink()
    loaded = TinyBertRnnClassifier.load(config, storage, trained._resource, context)
    assert loaded.network.uses_onnx
    assert loaded.predict(["你好"])[0] == pytest.approx(trained.predict(["你好"])[0], abs=1e-5)


def test_a_broken_graph_falls_back_to_torch(training_data, storage, context, caplog):
    config = tiny_config(TinyBertRnnClassifier, epochs=1, rnn_hidden=8)
    trained, _ = train_and_load(TinyBertRnnClassifier, config, training_data, storage, context)
    with storage.read_from(trained._resource) as directory:
        (directory / onnx_inference.ONNX_FILE).write_bytes(b"not an onnx graph")
    with caplog.at_level(logging.WARNING, logger="neural.onnx_inference"):
        loaded = TinyBertRnnClassifier.load(config, storage, trained._resource, context)
    assert not loaded.network.uses_onnx
    assert "ONNX inference unavailable" in caplog.text
    assert loaded.predict(["你好"])[0] == pytest.approx(trained.predict(["你好"])[0], abs=1e-5)


def test_a_graph_that_disagrees_with_torch_is_not_used(training_data, storage, context):
    config = tiny_config(TinyBertRnnClassifier, epochs=1, rnn_hidden=8)
    _, loaded = train_and_load(TinyBertRnnClassifier, config, training_data, storage, context)
    network = loaded.network
    runner = network._onnx
    with torch.no_grad():
        network.out.bias.add_(1.0)  # torch now answers differently from the exported graph
    with pytest.raises(ValueError, match="disagrees"):
        runner.verify(network, 16)


# int8 needs some width: with 32 hidden units one quantisation step is a large share of a weight
INT8_SIZE = {"hidden_size": 128, "intermediate_size": 256, "num_heads": 4, "inference_precision": "int8"}


def test_int8_weights_score_close_to_torch(training_data, storage, context):
    config = tiny_config(TinyBertRnnClassifier, epochs=2, rnn_hidden=16, **INT8_SIZE)
    _, loaded = train_and_load(TinyBertRnnClassifier, config, training_data, storage, context)
    with_onnx, with_torch = onnx_then_torch(
        loaded, lambda t: loaded.predict([t])[0], steps=("fusion", "int8 weights")
    )
    moved = max(abs(o[k] - t[k]) for o, t in zip(with_onnx, with_torch) for k in o)
    assert 0 < moved < 0.05  # quantised (not the same numbers), and close


def test_a_failing_step_keeps_the_graph_of_the_step_before(
    training_data, storage, context, caplog, monkeypatch
):
    def broken(model):
        raise RuntimeError("no quantiser here")

    monkeypatch.setattr(onnx_inference, "quantise", broken)
    config = tiny_config(TinyBertRnnClassifier, epochs=1, rnn_hidden=8, **INT8_SIZE)
    with caplog.at_level(logging.WARNING, logger="neural.onnx_inference"):
        trained, loaded = train_and_load(TinyBertRnnClassifier, config, training_data, storage, context)
    assert loaded.network._onnx.steps == ("fusion",)
    assert "int8 weights not applied" in caplog.text
    assert loaded.predict(["你好"])[0] == pytest.approx(trained.predict(["你好"])[0], abs=1e-5)


@pytest.mark.parametrize(
    ("environment", "configured", "expected"),
    [("fp32", "int8", "fp32"), ("INT8 ", "fp32", "int8"), ("", "int8", "int8"), ("fp16", "int8", "int8")],
)
def test_precision_from_the_environment(environment, configured, expected, monkeypatch):
    monkeypatch.setenv(onnx_inference.ENV_PRECISION, environment)
    assert onnx_inference.precision_setting(configured) == expected


def test_an_unknown_precision_is_refused(storage):
    from rasa.engine.storage.resource import Resource
    from rasa.shared.exceptions import InvalidConfigException

    config = tiny_config(TinyBertRnnClassifier, inference_precision="fp16")
    with pytest.raises(InvalidConfigException, match="inference_precision"):
        TinyBertRnnClassifier(config, storage, Resource("x"))
