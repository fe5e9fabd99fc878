"""How intent classifiers share their results on a message.

Each member classifier sets Rasa's ``intent``/``intent_ranking`` itself (so each one
works alone) and also records its ranking under ``intent_votes[<member>]`` and its vote
weight (its accuracy on the dev split, measured and persisted when it was trained) under
``intent_vote_weights[<member>]``; the ensemble voter combines them and sets the result
with ``set_final_intent``. Sub-intent results live in ``sub_intent`` and
``sub_intent_ranking``, added to the parse output; the sub-intent members record their
votes the same way under ``sub_intent_votes`` / ``sub_intent_vote_weights``.

The label sets are ``core.vocabulary``'s; only the voting helpers live here.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

INTENT_VOTES = "intent_votes"
INTENT_VOTE_WEIGHTS = "intent_vote_weights"
SUB_INTENT = "sub_intent"
SUB_INTENT_RANKING = "sub_intent_ranking"
SUB_INTENT_VOTES = "sub_intent_votes"
SUB_INTENT_VOTE_WEIGHTS = "sub_intent_vote_weights"


class VotingMember:
    """Marks a component that records votes for an ``EnsembleVoter`` (its required component:
    a voter must come after at least one member; which members count is its ``members``)."""


def ranking(scores: Dict[str, float]) -> List[Dict[str, Any]]:
    """Rasa-style ranking, best first: ``[{"name", "confidence"}, ...]``."""
    return [
        {"name": name, "confidence": float(conf)}
        for name, conf in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def set_final_intent(message: Message, scores: Dict[str, float]) -> List[Dict[str, Any]]:
    """Set Rasa's ``intent``/``intent_ranking`` from ``scores``; return the ranking."""
    ranked = ranking(scores)
    message.set(INTENT, dict(ranked[0]), add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranked, add_to_output=True)
    return ranked


def set_intent(
    message: Message, scores: Dict[str, float], member: str, weight: Optional[float] = None
) -> None:
    """Set ``intent``/``intent_ranking`` from ``scores`` and record them as ``member``'s vote.

    ``weight`` is the member's measured dev accuracy (None: not measured; the voter
    then uses its default weight).
    """
    _record(message, INTENT_VOTES, INTENT_VOTE_WEIGHTS, member, set_final_intent(message, scores), weight)


def _record(
    message: Message,
    votes_key: str,
    weights_key: str,
    member: str,
    ranked: List[Dict[str, Any]],
    weight: Optional[float],
) -> None:
    votes = dict(message.get(votes_key) or {})
    votes[member] = ranked
    message.set(votes_key, votes)
    weights = dict(message.get(weights_key) or {})
    weights[member] = None if weight is None else float(weight)
    message.set(weights_key, weights)


def set_sub_intent(message: Message, scores: Dict[str, float]) -> None:
    """Set ``sub_intent`` (``{"name", "confidence"}``) and ``sub_intent_ranking`` on the output."""
    ranked = ranking(scores)
    message.set(SUB_INTENT, dict(ranked[0]), add_to_output=True)
    message.set(SUB_INTENT_RANKING, ranked, add_to_output=True)


def record_sub_intent_vote(
    message: Message, scores: Dict[str, float], member: str, weight: Optional[float] = None
) -> None:
    """Record ``member``'s sub-intent distribution and vote weight (its dev accuracy) for
    the sub-intent voter; ``sub_intent`` itself is left alone."""
    _record(message, SUB_INTENT_VOTES, SUB_INTENT_VOTE_WEIGHTS, member, ranking(scores), weight)
