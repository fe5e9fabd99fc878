"""Ensemble voting: accuracy-weighted votes, disagreement lowers confidence; member weights."""

import json

import pytest
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from core.vocabulary import MAIN_INTENTS
from intents import votes
from intents.ensemble_voter import EnsembleVoter, combine
from intents.template_matcher import TemplateMatcher


def vote(message, member, top, confidence, weight):
    rest = (1.0 - confidence) / (len(MAIN_INTENTS) - 1)
    scores = {name: confidence if name == top else rest for name in MAIN_INTENTS}
    votes.set_intent(message, scores, member, weight=weight)


def voted(*members):
    message = Message(data={"text": "x"})
    for member in members:
        vote(message, *member)
    EnsembleVoter(EnsembleVoter.get_default_config()).process([message])
    return message


def test_disagreement_higher_weight_wins_with_lower_confidence():
    unanimous = voted(("a", "greet", 0.9, 0.95), ("b", "greet", 0.9, 0.80))
    split = voted(("a", "greet", 0.9, 0.95), ("b", "diagnosis", 0.9, 0.80))
    assert unanimous.get("intent")["name"] == "greet"
    assert split.get("intent")["name"] == "greet"
    assert split.get("intent")["confidence"] < unanimous.get("intent")["confidence"]
    # the weights decide: swap them and the other member wins
    swapped = voted(("a", "greet", 0.9, 0.80), ("b", "diagnosis", 0.9, 0.95))
    assert swapped.get("intent")["name"] == "diagnosis"


def test_combination_is_the_weighted_average():
    scores = combine(
        {"a": [{"name": "greet", "confidence": 1.0}], "b": [{"name": "deny", "confidence": 1.0}]},
        {"a": 0.75, "b": 0.25},
        default_weight=0.5,
    )
    assert scores["greet"] == pytest.approx(0.75) and scores["deny"] == pytest.approx(0.25)
    assert sum(scores.values()) == pytest.approx(1.0)


def test_unmeasured_member_gets_the_default_weight_and_members_filter():
    scores = combine(
        {"a": [{"name": "greet", "confidence": 1.0}], "b": [{"name": "deny", "confidence": 1.0}]},
        {"a": None, "b": 0.9},
        default_weight=0.3,
    )
    assert scores["deny"] == pytest.approx(0.9 / 1.2)
    only_a = combine(
        {"a": [{"name": "greet", "confidence": 1.0}], "b": [{"name": "deny", "confidence": 1.0}]},
        {"a": 0.1, "b": 0.9},
        default_weight=0.5,
        members=["a"],
    )
    assert only_a["greet"] == pytest.approx(1.0)


def test_voter_sets_ranking_and_keeps_the_votes():
    message = voted(("template_matcher", "greet", 0.9, 0.9), ("tinybert_rnn", "greet", 0.99, 0.99))
    ranking = message.get("intent_ranking")
    assert ranking[0] == message.get("intent")
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)
    assert set(message.get(votes.INTENT_VOTES)) == {"template_matcher", "tinybert_rnn"}


def test_no_votes_leaves_message_alone():
    message = Message(data={"text": "x"})
    EnsembleVoter({}).process([message])
    assert message.get("intent") is None


def test_template_matcher_measures_and_persists_its_dev_accuracy(training_data, storage, context):
    config = {**TemplateMatcher.get_default_config(), "dev_fraction": 0.5}
    resource = Resource("template_matcher")
    TemplateMatcher.create(config, storage, resource, context).train(training_data)
    loaded = TemplateMatcher.load(config, storage, resource, context)
    with storage.read_from(resource) as directory:
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    assert meta["dev_examples"] > 0
    assert 0.0 <= loaded.dev_accuracy <= 1.0 and loaded.dev_accuracy == meta["dev_accuracy"]
    assert 0 < meta["votes_cast"] < meta["dev_examples"]  # it abstains where no pattern matches
    assert 0.0 <= loaded.vote_accuracy <= 1.0 and loaded.vote_accuracy == meta["vote_accuracy"]
    message = Message(data={"text": "你好"})
    loaded.process([message])
    assert message.get(votes.INTENT_VOTE_WEIGHTS)["template_matcher"] == loaded.vote_accuracy


def test_template_matcher_abstains_from_the_vote_without_a_match():
    abstaining = TemplateMatcher(TemplateMatcher.get_default_config())
    always = TemplateMatcher({**TemplateMatcher.get_default_config(), "abstain_without_match": False})
    for matcher, votes_cast in ((abstaining, set()), (always, {"template_matcher"})):
        message = Message(data={"text": "感冒怎么治"})
        matcher.process([message])
        assert message.get("intent")["name"] == "diagnosis"  # still a complete classifier alone
        assert set(message.get(votes.INTENT_VOTES) or {}) == votes_cast
    # alone with the neural member, the neural member's answer stands in full
    message = Message(data={"text": "周末愉快"})
    abstaining.process([message])
    vote(message, "tinybert_rnn", "greet", 0.9, 0.99)
    EnsembleVoter(EnsembleVoter.get_default_config()).process([message])
    assert message.get("intent") == {"name": "greet", "confidence": pytest.approx(0.9)}
