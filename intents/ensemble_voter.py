"""Ensemble voter: one main intent (or sub-intent) from the members' weighted votes.

Members (``intents.template_matcher.TemplateMatcher``, ``intents.tinybert_rnn_classifier.
TinyBertRnnClassifier``) each record a distribution over the main intents under
``intent_votes`` and their vote weight under ``intent_vote_weights``. A member's weight is
its accuracy on the dev split held out when it was trained (each member measures it on
the same deterministic split and persists it with its part of the model, so it is
available wherever the model is loaded; the voter itself learns nothing).

The result is the weighted average of the members' distributions, normalised:
``p(c) = sum_m w_m p_m(c) / sum_m w_m``. When the members agree it is as confident as
they are; when they disagree the weighted total decides and the winning confidence
drops accordingly, which the dialogue's fallback threshold can act on.
Must come after all members in the pipeline.

With ``target: sub_intent`` the same vote decides ``sub_intent``/``sub_intent_ranking``
from ``sub_intent_votes`` (members: ``intents.roberta_textcnn_classifier.
RobertaTextCnnClassifier`` and ``intents.char_ngram_classifier.CharNgramClassifier``).
One class serves both targets, so its ``required_components`` is what both need: a
voting member (``votes.VotingMember``) earlier in the pipeline; ``runs_after(config)``
names the members of its target (checked against config.yml by a test).
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Dict, List, Mapping, Optional, Sequence, Tuple, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from core.vocabulary import MAIN_INTENTS, SUB_INTENTS
from intents import clauses, votes
from neural import config_checks as checks


def combine(
    member_votes: Mapping[str, Sequence[Mapping[str, Any]]],
    weights: Mapping[str, Optional[float]],
    default_weight: float,
    members: Optional[Sequence[str]] = None,
    labels: Sequence[str] = MAIN_INTENTS,
) -> Dict[str, float]:
    """Weighted average of the members' rankings (``{"name", "confidence"}`` lists)."""
    totals = dict.fromkeys(labels, 0.0)
    weight_sum = 0.0
    for member, ranked in member_votes.items():
        if members is not None and member not in members:
            continue
        weight = weights.get(member)
        weight = default_weight if weight is None else float(weight)
        if weight <= 0:
            continue
        mass = sum(float(r["confidence"]) for r in ranked) or 1.0
        for r in ranked:
            totals[r["name"]] = totals.get(r["name"], 0.0) + weight * float(r["confidence"]) / mass
        weight_sum += weight
    if weight_sum == 0:
        return {}
    return {name: value / weight_sum for name, value in totals.items()}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class EnsembleVoter(GraphComponent):
    """Main intent (or, with ``target: sub_intent``, sub-intent) from the members' weighted votes."""

    TARGETS: ClassVar[Dict[str, Tuple[str, str, Tuple[str, ...], Callable[..., Any]]]] = {
        "intent": (votes.INTENT_VOTES, votes.INTENT_VOTE_WEIGHTS, MAIN_INTENTS, votes.set_final_intent),
        "sub_intent": (
            votes.SUB_INTENT_VOTES,
            votes.SUB_INTENT_VOTE_WEIGHTS,
            SUB_INTENTS,
            votes.set_sub_intent,
        ),
    }

    @classmethod
    def required_components(cls) -> List[Type]:
        # Checked by Rasa (the voter is not trainable, so it runs in the prediction graph only).
        return [votes.VotingMember]

    @classmethod
    def runs_after(cls, config: Optional[Dict[str, Any]] = None) -> List[Type]:
        """The members of the vote ``config`` sets up (its ``target``): they come earlier."""
        from intents.char_ngram_classifier import CharNgramClassifier
        from intents.roberta_textcnn_classifier import RobertaTextCnnClassifier
        from intents.template_matcher import TemplateMatcher
        from intents.tinybert_rnn_classifier import TinyBertRnnClassifier

        target = {**cls.get_default_config(), **(config or {})}["target"]
        return (
            [RobertaTextCnnClassifier, CharNgramClassifier]
            if target == "sub_intent"
            else [TemplateMatcher, TinyBertRnnClassifier]
        )

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # Members whose votes count (None: every member that voted).
            "members": None,
            # Weight of a member whose dev accuracy was not measured (e.g. no dev split).
            "default_weight": 0.5,
            # What the votes decide: "intent" (main intent) or "sub_intent".
            "target": "intent",
        }

    def __init__(self, config: Dict[str, Any]) -> None:
        self.config = {**self.get_default_config(), **config}
        if self.config["target"] not in self.TARGETS:
            raise InvalidConfigException(
                f"EnsembleVoter: target must be one of {sorted(self.TARGETS)}, not {self.config['target']!r}"
            )
        checks.not_negative(self.config, "EnsembleVoter", "default_weight")
        members = self.config["members"]
        if members is not None and (isinstance(members, str) or not all(isinstance(m, str) for m in members)):
            raise InvalidConfigException(
                f"EnsembleVoter: members must be a list of member names, not {members!r}"
            )

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EnsembleVoter:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        votes_key, weights_key, labels, set_result = self.TARGETS[self.config["target"]]
        for message in messages:
            member_votes = message.get(votes_key) or {}
            scores = combine(
                member_votes,
                message.get(weights_key) or {},
                self.config["default_weight"],
                self.config["members"],
                labels,
            )
            if scores:
                set_result(message, scores)
            if self.config["target"] == "sub_intent" and message.get(clauses.SUB_INTENT_CLAUSE_VOTES):
                self._vote_clauses(message, weights_key)
        return messages

    def _vote_clauses(self, message: Message, weights_key: str) -> None:
        """``sub_intents``: one vote per question of a message that asks several (intents/clauses.py)."""
        clause_votes = message.get(clauses.SUB_INTENT_CLAUSE_VOTES) or {}
        count = len(message.get(clauses.SUB_INTENT_CLAUSES) or [])
        per_clause = [
            combine(
                {member: ranked[i] for member, ranked in clause_votes.items() if i < len(ranked)},
                message.get(weights_key) or {},
                self.config["default_weight"],
                self.config["members"],
                SUB_INTENTS,
            )
            for i in range(count)
        ]
        clauses.set_sub_intents(message, per_clause)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
