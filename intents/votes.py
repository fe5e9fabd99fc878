"""How intent classifiers share their results on a message.

Each member classifier sets Rasa's ``intent``/``intent_ranking`` itself (so each one
works alone) and also records its ranking under ``intent_votes[<member>]`` and its vote
weight (its accuracy on the dev split, measured and persisted when it was trained) under
``intent_vote_weights[<member>]``; the ensemble voter combines them and sets the result
with ``set_final_intent``. Sub-intent results live in ``sub_intent`` and
``sub_intent_ranking``, added to the parse output; the sub-intent members record their
votes the same way under ``sub_intent_votes`` / ``sub_intent_vote_weights``.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

INTENT_VOTES = "intent_votes"
INTENT_VOTE_WEIGHTS = "intent_vote_weights"
SUB_INTENT = "sub_intent"
SUB_INTENT_RANKING = "sub_intent_ranking"
SUB_INTENT_VOTES = "sub_intent_votes"
SUB_INTENT_VOTE_WEIGHTS = "sub_intent_vote_weights"
MAIN_INTENTS: Tuple[str, ...] = ("greet", "goodbye", "isbot", "accept", "deny", "diagnosis")
SUB_INTENTS: Tuple[str, ...] = (
    "definition", "cause", "prevention", "symptom", "complication", "treatment", "department",
    "infectivity", "cure_rate", "taboo", "check", "cure_time", "other",
)
SUB_INTENT_NAMES_ZH: Dict[str, str] = {
    "definition": "定义", "cause": "病因", "prevention": "预防", "symptom": "临床表现",
    "complication": "相关病症", "treatment": "治疗方法", "department": "所属科室",
    "infectivity": "传染性", "cure_rate": "治愈率", "taboo": "禁忌", "check": "化验/体检方案",
    "cure_time": "治疗时间", "other": "其他",
}


def ranking(scores: Dict[str, float]) -> List[Dict[str, float]]:
    """Rasa-style ranking, best first: ``[{"name", "confidence"}, ...]``."""
    return [{"name": name, "confidence": float(conf)}
            for name, conf in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))]


def set_final_intent(message: Message, scores: Dict[str, float]) -> List[Dict[str, float]]:
    """Set Rasa's ``intent``/``intent_ranking`` from ``scores``; return the ranking."""
    ranked = ranking(scores)
    message.set(INTENT, dict(ranked[0]), add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranked, add_to_output=True)
    return ranked


def set_intent(message: Message, scores: Dict[str, float], member: str,
               weight: Optional[float] = None) -> None:
    """Set ``intent``/``intent_ranking`` from ``scores`` and record them as ``member``'s vote.

    ``weight`` is the member's measured dev accuracy (None: not measured; the voter
    then uses its default weight).
    """
    _record(message, INTENT_VOTES, INTENT_VOTE_WEIGHTS, member, set_final_intent(message, scores), weight)


def _record(message: Message, votes_key: str, weights_key: str, member: str,
            ranked: List[Dict[str, float]], weight: Optional[float]) -> None:
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


def record_sub_intent_vote(message: Message, scores: Dict[str, float], member: str,
                           weight: Optional[float] = None) -> None:
    """Record ``member``'s sub-intent distribution and vote weight (its dev accuracy) for
    the sub-intent voter; ``sub_intent`` itself is left alone."""
    _record(message, SUB_INTENT_VOTES, SUB_INTENT_VOTE_WEIGHTS, member, ranking(scores), weight)


def gold_sub_intent(message: Message) -> str | None:
    """The sub-intent label of a training example (intent-level metadata in the NLU YAML)."""
    metadata = message.get("metadata") or {}
    return (metadata.get("intent") or {}).get("sub_intent") or (metadata.get("example") or {}).get("sub_intent")
