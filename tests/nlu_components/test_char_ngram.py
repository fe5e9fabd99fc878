"""The character n-gram sub-intent member and the sub-intent vote."""

import pytest
from rasa.shared.nlu.training_data.message import Message

from core.vocabulary import SUB_INTENTS
from intents import votes
from intents.char_ngram_classifier import MEMBER, TYPE_MARKS, CharNgramClassifier, read
from intents.ensemble_voter import EnsembleVoter
from tests.nlu_components.conftest import train_and_load


def parse(component, text, entities=()):
    message = Message(data={"text": text, "entities": list(entities)})
    component.process([message])
    return message


def test_input_reads_mentions_as_types_and_english_as_chinese():
    assert read("高血压Contagious吗", [(0, 3, "disease")]) == TYPE_MARKS["disease"] + "传染吗"
    assert (
        read("高血压Contagious吗", [(0, 3, "disease")], read_english=False)
        == TYPE_MARKS["disease"] + "contagious吗"
    )


def test_learns_sub_intents_records_a_weighted_vote_and_survives_persistence(training_data, storage, context):
    config = {**CharNgramClassifier.get_default_config(), "dev_fraction": 0.3}
    trained, loaded = train_and_load(CharNgramClassifier, config, training_data, storage, context)
    assert loaded.meta["train_examples"] == 12 and loaded.meta["dev_examples"] > 0  # diagnosis only
    for text, sub in (("胃炎有什么症状", "symptom"), ("哮喘怎么治疗", "treatment")):
        message = parse(loaded, text, [{"start": 0, "end": 2, "entity": "disease", "value": text[:2]}])
        ranked = message.get(votes.SUB_INTENT_VOTES)[MEMBER]
        assert ranked[0]["name"] == sub and sum(r["confidence"] for r in ranked) == pytest.approx(1.0)
        assert message.get(votes.SUB_INTENT_VOTE_WEIGHTS)[MEMBER] == loaded.dev_accuracy
        assert message.get(votes.SUB_INTENT) is None  # a vote only: the voter decides
    assert parse(trained, "肺炎怎么治疗").get(votes.SUB_INTENT_VOTES) == parse(loaded, "肺炎怎么治疗").get(
        votes.SUB_INTENT_VOTES
    )


def test_untrained_member_does_not_vote(storage, context):
    from rasa.engine.storage.resource import Resource

    untrained = CharNgramClassifier.load(
        CharNgramClassifier.get_default_config(), storage, Resource("never-trained"), context
    )
    assert parse(untrained, "感冒怎么治").get(votes.SUB_INTENT_VOTES) is None


def test_sub_intent_voter_combines_the_members_by_weight():
    message = Message(data={"text": "x"})
    votes.record_sub_intent_vote(message, {"treatment": 0.9, "cure_rate": 0.1}, "a", 0.6)
    votes.record_sub_intent_vote(message, {"treatment": 0.2, "cure_rate": 0.8}, "b", 0.9)
    EnsembleVoter({"target": "sub_intent"}).process([message])
    sub = message.get(votes.SUB_INTENT)
    assert sub["name"] == "cure_rate" and sub["confidence"] == pytest.approx((0.6 * 0.1 + 0.9 * 0.8) / 1.5)
    ranking = message.get(votes.SUB_INTENT_RANKING)
    assert {r["name"] for r in ranking} == set(SUB_INTENTS) and ranking[0] == sub
    assert message.get("intent") is None  # the main intent is not touched
    from rasa.shared.exceptions import InvalidConfigException

    with pytest.raises(InvalidConfigException, match="target"):
        EnsembleVoter({"target": "mood"})


def test_fast_scorer_gives_the_pipeline_probabilities(training_data, storage, context):
    from intents.char_ngram_classifier import NgramScorer

    config = {**CharNgramClassifier.get_default_config(), "dev_fraction": 0.0}
    trained, _ = train_and_load(CharNgramClassifier, config, training_data, storage, context)
    texts = [read(t, []) for t in ("胃炎有什么症状", "哮喘  怎么 治疗", "随便问问", "")]
    scorer = NgramScorer.from_pipeline(trained.model)
    for text, row in zip(texts, trained.model.predict_proba(texts)):
        probabilities = scorer.probabilities(text)
        for label, value in zip(trained.model.classes_, row):
            assert probabilities[str(label)] == pytest.approx(value, abs=1e-9)


def test_persisted_without_pickle_and_scores_survive_loading(training_data, storage, context):
    import numpy as np
    from rasa.engine.storage.resource import Resource

    trained, loaded = train_and_load(
        CharNgramClassifier, CharNgramClassifier.get_default_config(), training_data, storage, context
    )
    assert loaded.model is None and loaded.scorer is not None  # no scikit-learn object after loading
    texts = ["胃炎有什么症状", "哮喘怎么治疗", "高血压Contagious吗", "随便问问", ""]
    spans = [[(0, 2, "disease")], [(0, 2, "disease")], [(0, 3, "disease")], [], []]
    before, after = trained.predict(texts, spans), loaded.predict(texts, spans)
    for a, b in zip(before, after):
        assert list(a) == list(b) and np.allclose(list(a.values()), list(b.values()), rtol=0, atol=1e-12)
    assert loaded.meta == trained.meta and loaded.dev_accuracy == trained.dev_accuracy
    with storage.read_from(Resource("component")) as directory:
        files = sorted(path.name for path in directory.rglob("*") if path.is_file())
        assert files == ["ngram_scorer.json", "ngram_scorer.npz"]
        for path in directory.rglob("*"):
            if path.is_file():
                assert not path.read_bytes().startswith(b"\x80"), f"{path.name} is a pickle"
        np.load(directory / "ngram_scorer.npz", allow_pickle=False).close()


def test_every_entity_type_has_its_own_mark():
    from core.vocabulary import ENTITY_TYPES
    from intents.char_ngram_classifier import OTHER_MARK

    assert set(TYPE_MARKS) == set(ENTITY_TYPES)
    assert len(set(TYPE_MARKS.values()) | {OTHER_MARK}) == len(ENTITY_TYPES) + 1
