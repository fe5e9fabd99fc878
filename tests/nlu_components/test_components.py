"""Each neural component trains, persists, loads and processes messages with the right keys."""

import pytest
import torch
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message

from core.vocabulary import MAIN_INTENTS, SUB_INTENTS
from intents import votes
from intents.roberta_textcnn_classifier import RobertaTextCnnClassifier
from intents.tinybert_rnn_classifier import TinyBertRnnClassifier
from slots.bert_bilstm_crf_extractor import EXTRACTOR, BertBiLstmCrfExtractor
from tests.nlu_components.conftest import tiny_config, train_and_load


def same_ranking(a, b):
    ranked_a, ranked_b = a.get("intent_ranking"), b.get("intent_ranking")
    return [r["name"] for r in ranked_a] == [r["name"] for r in ranked_b] and all(
        x["confidence"] == pytest.approx(y["confidence"], abs=1e-5) for x, y in zip(ranked_a, ranked_b)
    )


def parse(component, text):
    message = Message(data={"text": text})
    component.process([message])
    return message


def test_tinybert_rnn_learns_main_intents(training_data, storage, context):
    config = tiny_config(TinyBertRnnClassifier, epochs=12, rnn_hidden=16, learning_rate=5e-3)
    trained, loaded = train_and_load(TinyBertRnnClassifier, config, training_data, storage, context)
    for text, intent in (("你好", "greet"), ("再见", "goodbye"), ("感冒怎么治疗", "diagnosis")):
        message = parse(loaded, text)
        assert message.get("intent")["name"] == intent
        ranking = message.get("intent_ranking")
        assert [r["name"] for r in ranking][:1] == [intent]
        assert {r["name"] for r in ranking} == set(MAIN_INTENTS)
        assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0, abs=1e-4)
        assert message.get(votes.INTENT_VOTES)["tinybert_rnn"] == ranking
    # the persisted copy predicts what the trained one does
    assert same_ranking(parse(trained, "您好呀"), parse(loaded, "您好呀"))
    assert loaded.meta["labels"] == list(MAIN_INTENTS)


def test_tinybert_rnn_started_early_gives_what_process_alone_gives(training_data, storage, context):
    # bot/graph_runner.py calls start_early when the messages exist; process takes the result
    config = tiny_config(TinyBertRnnClassifier, epochs=2, rnn_hidden=8)
    _, loaded = train_and_load(TinyBertRnnClassifier, config, training_data, storage, context)
    texts = ["你好", "感冒怎么治疗", "", "再见"]
    alone = [parse(loaded, t) for t in texts]
    messages = [Message(data={"text": t}) for t in texts]
    loaded.start_early(messages)
    loaded.__dict__["_early"][2].result()  # the worker has scored them ...
    scoring = loaded._logit_rows
    loaded._logit_rows = lambda *a, **k: pytest.fail("scored again instead of taking the early scores")
    loaded.process(messages)  # ... so process takes those scores and computes nothing
    loaded._logit_rows = scoring
    assert loaded.__dict__.get("_early") is None
    for a, b in zip(alone, messages):
        assert a.get("intent") == b.get("intent") and a.get("intent_ranking") == b.get("intent_ranking")
    # scores begun for other messages (or a text changed since) are not used
    loaded.start_early([Message(data={"text": "再见"})])
    other = Message(data={"text": "你好"})
    loaded.process([other])
    assert other.get("intent") == alone[0].get("intent")
    changed = Message(data={"text": "再见"})
    loaded.start_early([changed])
    changed.set("text", "你好")
    loaded.process([changed])
    assert changed.get("intent_ranking") == alone[0].get("intent_ranking")


def test_early_start_only_for_a_classifier_that_reads_the_text_alone(training_data, storage, context):
    for component, overrides in (
        (TinyBertRnnClassifier, {"rnn_hidden": 8, "early_start": False}),
        (RobertaTextCnnClassifier, {"filters": 8}),  # mask_entities: needs the linked mentions
    ):
        config = tiny_config(component, epochs=1, **overrides)
        _, loaded = train_and_load(component, config, training_data, storage, context)
        loaded.start_early([Message(data={"text": "你好"})])
        assert loaded.__dict__.get("_early") is None, component.__name__
    from rasa.engine.storage.resource import Resource

    untrained = TinyBertRnnClassifier.load(
        TinyBertRnnClassifier.get_default_config(), storage, Resource("never-trained"), context
    )
    untrained.start_early([Message(data={"text": "你好"})])
    assert untrained.__dict__.get("_early") is None
    with pytest.raises(InvalidConfigException, match="early_start must be true or false"):
        TinyBertRnnClassifier.check_config(
            {**TinyBertRnnClassifier.get_default_config(), "early_start": "no"}
        )


def test_tinybert_rnn_records_its_dev_accuracy_as_vote_weight(training_data, storage, context):
    config = tiny_config(TinyBertRnnClassifier, epochs=2, rnn="lstm", dev_fraction=0.3)
    _, loaded = train_and_load(TinyBertRnnClassifier, config, training_data, storage, context)
    assert loaded.meta["dev_examples"] > 0
    weight = parse(loaded, "你好").get(votes.INTENT_VOTE_WEIGHTS)["tinybert_rnn"]
    assert weight == loaded.meta["dev_accuracy"] and 0.0 <= weight <= 1.0


def test_roberta_textcnn_learns_sub_intents(training_data, storage, context):
    config = tiny_config(RobertaTextCnnClassifier, epochs=12, filters=16, learning_rate=5e-3)
    _, loaded = train_and_load(RobertaTextCnnClassifier, config, training_data, storage, context)
    assert loaded.meta["train_examples"] == 12  # diagnosis examples only
    for text, sub in (("胃炎有什么症状", "symptom"), ("哮喘怎么治疗", "treatment")):
        message = parse(loaded, text)
        assert message.get(votes.SUB_INTENT)["name"] == sub
        ranking = message.get(votes.SUB_INTENT_RANKING)
        assert {r["name"] for r in ranking} == set(SUB_INTENTS)
        assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0, abs=1e-4)
        assert message.get(votes.SUB_INTENT_VOTES)["roberta_textcnn"] == ranking  # also a vote
    # set for every message, also short small talk (shorter than the widest kernel)
    assert parse(loaded, "嗨").get(votes.SUB_INTENT)["name"] in SUB_INTENTS


def test_textcnn_scores_a_message_alone_as_in_a_padded_batch(training_data, storage, context):
    # alone: unpadded fast path (traced encoder, no window masking); in a batch: padded and masked
    config = tiny_config(RobertaTextCnnClassifier, epochs=2, filters=8)
    _, loaded = train_and_load(RobertaTextCnnClassifier, config, training_data, storage, context)
    texts = ["胃炎有什么症状", "嗨", "好的", "我妈最近老是头晕，这是什么病啊", "哮喘怎么治疗"]
    together = loaded.predict(texts)
    for text, batched in zip(texts, together):
        alone = loaded.predict([text])[0]
        assert alone == pytest.approx(batched, abs=1e-4), text


def test_crf_extractor_outputs_unlinked_entities(training_data, storage, context):
    config = tiny_config(
        BertBiLstmCrfExtractor,
        epochs=15,
        lstm_hidden=16,
        swap_prob=0.0,
        min_confidence=0.0,
        learning_rate=5e-3,
    )
    _, loaded = train_and_load(BertBiLstmCrfExtractor, config, training_data, storage, context)
    assert loaded.labels == ["O", "B-disease", "I-disease"]
    message = parse(loaded, "感冒有什么症状")
    entities = message.get("entities")
    assert [(e["start"], e["end"], e["entity"]) for e in entities] == [(0, 2, "disease")]
    entity = entities[0]
    assert entity["value"] == entity["text"] == "感冒"
    assert entity["extractor"] == EXTRACTOR and entity["linked"] is False
    assert 0.5 < entity["confidence_entity"] <= 1.0
    assert parse(loaded, "再见").get("entities") in (None, [])
    assert parse(loaded, "").get("entities") in (None, [])


def test_crf_extractor_tags_a_message_alone_as_in_a_padded_batch(
    training_data, storage, context, monkeypatch
):
    # alone: NumPy outputs of onnxruntime straight into the CRF; several: one padded torch batch
    monkeypatch.delenv("NLU_INFERENCE_PRECISION", raising=False)  # fp32 (TINY): the two agree to 1e-4
    config = tiny_config(
        BertBiLstmCrfExtractor, epochs=6, lstm_hidden=16, min_confidence=0.0, learning_rate=5e-3
    )
    _, loaded = train_and_load(BertBiLstmCrfExtractor, config, training_data, storage, context)
    texts = ["感冒有什么症状", "我得了哮喘怎么办", "你好", "", "高血压和糖尿病挂什么科"]
    together = loaded.extract(texts)
    assert any(together)
    for text, batched in zip(texts, together):
        alone = loaded.extract([text])[0]
        assert [s[:3] for s in alone] == [s[:3] for s in batched], text
        assert [s[3] for s in alone] == pytest.approx([s[3] for s in batched], abs=1e-4), text


def test_crf_extractor_keeps_other_extractors_entities(training_data, storage, context):
    config = tiny_config(BertBiLstmCrfExtractor, epochs=1, lstm_hidden=8)
    _, loaded = train_and_load(BertBiLstmCrfExtractor, config, training_data, storage, context)
    earlier = {
        "entity": "disease",
        "start": 0,
        "end": 2,
        "value": "感冒",
        "extractor": "AhoCorasickExtractor",
    }
    message = Message(data={"text": "感冒有什么症状", "entities": [earlier]})
    loaded.process([message])
    assert message.get("entities")[0] == earlier


def test_untrained_component_leaves_messages_alone(storage, context):
    from rasa.engine.storage.resource import Resource

    loaded = TinyBertRnnClassifier.load(
        TinyBertRnnClassifier.get_default_config(), storage, Resource("never-trained"), context
    )
    assert parse(loaded, "你好").get("intent") is None


def test_architecture_is_persisted_with_the_model(training_data, storage, context):
    trained_with = tiny_config(TinyBertRnnClassifier, epochs=1, rnn="gru", rnn_hidden=8)
    trained, _ = train_and_load(TinyBertRnnClassifier, trained_with, training_data, storage, context)
    from rasa.engine.storage.resource import Resource

    # loaded under a config whose defaults changed since: the persisted architecture wins
    loaded = TinyBertRnnClassifier.load(
        {**trained_with, "rnn": "lstm", "rnn_hidden": 32}, storage, Resource("component"), context
    )
    assert isinstance(loaded.network.rnn, torch.nn.GRU)
    assert same_ranking(parse(loaded, "你好"), parse(trained, "你好"))


def test_sub_intent_classifier_reads_extracted_entities_as_types(training_data, storage, context):
    config = tiny_config(RobertaTextCnnClassifier, epochs=1, filters=8)
    _, loaded = train_and_load(RobertaTextCnnClassifier, config, training_data, storage, context)
    disease = {"entity": "disease", "start": 0, "end": 3, "value": "高血压"}
    with_entity = Message(data={"text": "高血压怎么治疗", "entities": [disease]})
    other_name = Message(data={"text": "糖尿病怎么治疗", "entities": [{**disease, "value": "糖尿病"}]})
    plain = Message(data={"text": "高血压怎么治疗"})
    loaded.process([with_entity, other_name, plain])
    # the name does not matter once it is read as [disease]; without the mention it does
    assert with_entity.get("sub_intent_ranking") == other_name.get("sub_intent_ranking")
    assert with_entity.get("sub_intent_ranking") != plain.get("sub_intent_ranking")


def test_training_is_repeatable_whatever_ran_before(training_data, tmp_path, context):
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    config = tiny_config(TinyBertRnnClassifier, epochs=1, rnn_hidden=8)
    states = []
    for run in range(2):
        torch.rand(17 * (run + 1))  # other components used the global RNG in between
        (tmp_path / f"s{run}").mkdir()
        trained, _ = train_and_load(
            TinyBertRnnClassifier, config, training_data, LocalModelStorage(tmp_path / f"s{run}"), context
        )
        states.append(trained.network.state_dict())
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])


def test_refit_learns_from_the_dev_templates_too(training_data, storage, context):
    config = tiny_config(RobertaTextCnnClassifier, epochs=3, filters=8, dev_fraction=0.3, refit=False)
    _, held_out = train_and_load(RobertaTextCnnClassifier, config, training_data, storage, context, "held")
    _, refit = train_and_load(
        RobertaTextCnnClassifier, {**config, "refit": True}, training_data, storage, context, "refit"
    )
    assert 0 < held_out.meta["dev_examples"] == refit.meta["dev_examples"]
    assert held_out.meta["refit"] is False and refit.meta["refit"] is True
    assert refit.meta["train_examples"] == 12 > held_out.meta["train_examples"]  # every diagnosis example
    assert refit.meta["dev_accuracy"] == held_out.meta["dev_accuracy"]  # measured before the refit
    # the refit network was trained on the dev characters: its vocabulary covers them
    assert set(refit.tokenizer.vocab) > set(held_out.tokenizer.vocab)
