"""The character n-gram sub-intent member and the sub-intent vote."""
import pytest
from rasa.shared.nlu.training_data.message import Message

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
    assert read("高血压Contagious吗", [(0, 3, "disease")], read_english=False) == TYPE_MARKS["disease"] + "contagious吗"


def test_learns_sub_intents_records_a_weighted_vote_and_survives_persistence(training_data, storage, context):
    config = {**CharNgramClassifier.get_default_config(), "dev_fraction": 0.3}
    trained, loaded = train_and_load(CharNgramClassifier, config, training_data, storage, context)
    assert loaded.meta["train_examples"] == 12 and loaded.meta["dev_examples"] > 0   # diagnosis only
    for text, sub in (("胃炎有什么症状", "symptom"), ("哮喘怎么治疗", "treatment")):
        message = parse(loaded, text, [{"start": 0, "end": 2, "entity": "disease", "value": text[:2]}])
        ranked = message.get(votes.SUB_INTENT_VOTES)[MEMBER]
        assert ranked[0]["name"] == sub and sum(r["confidence"] for r in ranked) == pytest.approx(1.0)
        assert message.get(votes.SUB_INTENT_VOTE_WEIGHTS)[MEMBER] == loaded.dev_accuracy
        assert message.get(votes.SUB_INTENT) is None          # a vote only: the voter decides
    assert parse(trained, "肺炎怎么治疗").get(votes.SUB_INTENT_VOTES) == parse(loaded, "肺炎怎么治疗").get(
        votes.SUB_INTENT_VOTES)


def test_untrained_member_does_not_vote(storage, context):
    from rasa.engine.storage.resource import Resource

    untrained = CharNgramClassifier.load(CharNgramClassifier.get_default_config(), storage,
                                         Resource("never-trained"), context)
    assert parse(untrained, "感冒怎么治").get(votes.SUB_INTENT_VOTES) is None


def test_sub_intent_voter_combines_the_members_by_weight():
    message = Message(data={"text": "x"})
    votes.record_sub_intent_vote(message, {"treatment": 0.9, "cure_rate": 0.1}, "a", 0.6)
    votes.record_sub_intent_vote(message, {"treatment": 0.2, "cure_rate": 0.8}, "b", 0.9)
    EnsembleVoter({"target": "sub_intent"}).process([message])
    sub = message.get(votes.SUB_INTENT)
    assert sub["name"] == "cure_rate" and sub["confidence"] == pytest.approx((0.6 * 0.1 + 0.9 * 0.8) / 1.5)
    ranking = message.get(votes.SUB_INTENT_RANKING)
    assert {r["name"] for r in ranking} == set(votes.SUB_INTENTS) and ranking[0] == sub
    assert message.get("intent") is None                       # the main intent is not touched
    with pytest.raises(ValueError, match="target"):
        EnsembleVoter({"target": "mood"})


def test_fast_scorer_gives_the_pipeline_probabilities(training_data, storage, context):
    from intents.char_ngram_classifier import NgramScorer

    config = {**CharNgramClassifier.get_default_config(), "dev_fraction": 0.0}
    _, loaded = train_and_load(CharNgramClassifier, config, training_data, storage, context)
    texts = [read(t, []) for t in ("胃炎有什么症状", "哮喘  怎么 治疗", "随便问问", "")]
    scorer = NgramScorer.from_pipeline(loaded.model)
    for text, row in zip(texts, loaded.model.predict_proba(texts)):
        probabilities = scorer.probabilities(text)
        for label, value in zip(loaded.model.classes_, row):
            assert probabilities[str(label)] == pytest.approx(value, abs=1e-9)
