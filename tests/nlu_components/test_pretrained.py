"""Components start from a local pretrained checkpoint; ``python -m bot pretrain`` writes one."""

import json

import pytest
import torch
from rasa.shared.nlu.training_data.message import Message
from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast

from bot.cli import main as cli_main
from intents.roberta_textcnn_classifier import RobertaTextCnnClassifier
from intents.tinybert_rnn_classifier import TinyBertRnnClassifier
from neural.pretrain import nlu_sentences
from neural.text import SPECIAL_TOKENS
from slots.bert_bilstm_crf_extractor import BertBiLstmCrfExtractor
from tests.nlu_components.conftest import TRAINING_YAML, tiny_config, train_and_load

COMPONENTS = [TinyBertRnnClassifier, RobertaTextCnnClassifier, BertBiLstmCrfExtractor]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, training_data):
    """A tiny BERT saved with ``save_pretrained`` next to a vocab.txt for BertTokenizerFast."""
    folder = tmp_path_factory.mktemp("checkpoint")
    chars = sorted({ch for m in training_data.training_examples for ch in m.get("text")})
    vocab = list(SPECIAL_TOKENS) + chars
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(folder / "vocab.txt")).save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=24,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=48,
        max_position_embeddings=40,
    )
    BertForMaskedLM(config).save_pretrained(folder)
    return folder


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_component_trains_from_local_checkpoint(component, checkpoint, training_data, storage, context):
    reference = BertForMaskedLM.from_pretrained(checkpoint).bert
    # learning rate 0: the trained encoder must still be exactly the checkpoint's
    config = tiny_config(
        component,
        model_name_or_path=str(checkpoint),
        epochs=1,
        learning_rate=0.0,
        num_layers=1,
        hidden_size=999,
        max_length=64,
    )
    trained, loaded = train_and_load(component, config, training_data, storage, context)
    encoder = loaded.network.encoder
    assert encoder.config.hidden_size == 24  # the checkpoint's size, not the config's
    assert encoder.config.num_hidden_layers == 1  # cut to the component's num_layers
    assert loaded.tokenizer.vocab == BertTokenizerFast.from_pretrained(checkpoint).get_vocab()
    assert loaded.tokenizer.max_length == 40  # clamped to the checkpoint's positions
    assert torch.equal(encoder.embeddings.word_embeddings.weight, reference.embeddings.word_embeddings.weight)
    assert torch.equal(
        encoder.encoder.layer[0].output.dense.weight, reference.encoder.layer[0].output.dense.weight
    )
    assert loaded.meta["pretrained"] == str(checkpoint)
    message = Message(data={"text": "感冒有什么症状"})
    loaded.process([message])
    reference_message = Message(data={"text": "感冒有什么症状"})
    trained.process([reference_message])
    assert message.as_dict().keys() == reference_message.as_dict().keys()
    for key in ("intent", "sub_intent"):
        if message.get(key):
            assert message.get(key)["name"] == reference_message.get(key)["name"]
            assert message.get(key)["confidence"] == pytest.approx(
                reference_message.get(key)["confidence"], abs=1e-5
            )


def test_pretrain_command_writes_a_usable_checkpoint(tmp_path, training_data, storage, context, capsys):
    kg = tmp_path / "kg.json"
    kg.write_text(
        json.dumps(
            {
                "name": "感冒",
                "desc": "感冒是常见病。多休息多喝水！",
                "cause": "病毒感染引起。",
                "prevent": "勤洗手；少去人多的地方。",
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    nlu = tmp_path / "nlu.yml"
    nlu.write_text(TRAINING_YAML, encoding="utf-8")
    out = tmp_path / "pretrained"
    code = cli_main(
        [
            "pretrain",
            "--out",
            str(out),
            "--epochs",
            "1",
            "--kg",
            str(kg),
            "--nlu",
            str(nlu),
            "--layers",
            "1",
            "--hidden-size",
            "16",
            "--heads",
            "2",
            "--intermediate-size",
            "32",
            "--max-length",
            "32",
            "--batch-size",
            "8",
        ]
    )
    assert code == 0
    assert "5 graph sentences + 24 NLU training sentences" in capsys.readouterr().out
    summary = json.loads((out / "pretraining.json").read_text(encoding="utf-8"))
    assert summary["sentences"] == 29 and summary["layers"] == 1
    config = tiny_config(TinyBertRnnClassifier, model_name_or_path=str(out), epochs=1)
    _, loaded = train_and_load(TinyBertRnnClassifier, config, training_data, storage, context)
    assert loaded.network.encoder.config.hidden_size == 16
    assert "症" in loaded.tokenizer.vocab and "勤" in loaded.tokenizer.vocab  # NLU and graph text


def test_pretraining_refuses_the_test_split():
    with pytest.raises(ValueError, match="test split"):
        nlu_sentences(["tests/nlu"])


def test_missing_local_checkpoint_is_a_clear_error(tmp_path, training_data, storage, context):
    from neural.encoder import CheckpointNotFoundError

    config = tiny_config(RobertaTextCnnClassifier, model_name_or_path=str(tmp_path / "missing"))
    with pytest.raises(CheckpointNotFoundError, match="python -m bot pretrain"):
        train_and_load(RobertaTextCnnClassifier, config, training_data, storage, context)


def test_relative_checkpoint_is_found_from_any_working_directory(checkpoint, monkeypatch, tmp_path):
    import neural.encoder as encoders

    monkeypatch.setattr(encoders, "PROJECT_ROOT", checkpoint.parent)
    monkeypatch.chdir(tmp_path)  # not where the checkpoint lives
    assert encoders.resolve_checkpoint(checkpoint.name) == str(checkpoint)
