"""Template matcher: main intent and sub-intent from regular expressions and keywords.

Why: rules are precise for small talk ("你好", "是的", "再见") and give a strong,
explainable signal for question words ("症状", "怎么治"). As a member of the intent
ensemble its vote is weighted by its measured dev accuracy; alone it is a complete
(if brittle) classifier, which keeps the walking skeleton usable without neural models.
The patterns are compiled with RE2 (``safety.patterns``): time linear in the message.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from intents import votes
from safety.patterns import Regex, compile_pattern

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RULES = PROJECT_ROOT / "intents" / "rules.yml"
MEMBER = "template_matcher"


class TemplateRules:
    """Compiled rules: anchored patterns per main intent, keywords per sub-intent."""

    def __init__(self, main: Dict[str, List[Regex]], sub: Dict[str, List[str]]) -> None:
        self.main, self.sub = main, sub

    @classmethod
    def from_file(cls, path: Path) -> "TemplateRules":
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        try:
            main = {intent: [compile_pattern(p, ignore_case=True) for p in patterns]
                    for intent, patterns in (raw.get("main_intents") or {}).items()}
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from exc
        sub = {name: sorted(words, key=len, reverse=True)
               for name, words in (raw.get("sub_intents") or {}).items()}
        unknown = (set(main) - set(votes.MAIN_INTENTS)) | (set(sub) - set(votes.SUB_INTENTS))
        if unknown:
            raise ValueError(f"{path}: unknown intents {sorted(unknown)}")
        return cls(main, sub)

    def main_intent(self, text: str) -> Optional[str]:
        """The small-talk intent whose pattern matches ``text``, if any."""
        for intent, patterns in self.main.items():
            if any(p.search(text) for p in patterns):
                return intent
        return None

    def sub_intent_hits(self, text: str) -> Dict[str, float]:
        """Per sub-intent, the total length of its keywords found in ``text``."""
        lowered = text.lower()
        hits: Dict[str, float] = {}
        for name, words in self.sub.items():
            score = sum(len(w) for w in words if w.lower() in lowered)
            if score:
                hits[name] = float(score)
        return hits


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TemplateMatcher(GraphComponent):
    """Rule-based main-intent and sub-intent classifier (``intents/rules.yml``).

    Alone it is a complete classifier: a message no small-talk pattern matches is
    ``diagnosis``. In the ensemble it votes only when a pattern matched (config
    ``abstain_without_match``): the absence of a greeting is no evidence of a medical
    question, and a fixed "diagnosis" vote outvoted the neural member on small talk the
    rules do not cover. The rules are hand-written, so "training" only measures them on
    the shared dev split (``neural.data.dev_split``, the same one the neural members hold
    out) and persists the figures: ``dev_accuracy`` as a standalone classifier and
    ``vote_accuracy``, the accuracy of the votes it cast there, which is its vote weight.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # YAML file with main_intents (regexes) and sub_intents (keywords).
            "rules_file": str(DEFAULT_RULES),
            # Confidence given to a matching small-talk pattern.
            "match_confidence": 0.9,
            # Confidence for "diagnosis" when no small-talk pattern matched.
            "diagnosis_confidence": 0.7,
            # In the ensemble, vote only when a small-talk pattern matched (False: always vote).
            "abstain_without_match": True,
            # The dev split its vote weight is measured on: keep equal to the neural
            # components' dev_fraction/seed so that all members are measured alike.
            "dev_fraction": 0.1,
            "seed": 42,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: Optional[ModelStorage] = None,
                 resource: Optional[Resource] = None, dev_accuracy: Optional[float] = None,
                 vote_accuracy: Optional[float] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._storage, self._resource = model_storage, resource
        self.dev_accuracy = dev_accuracy     # as a standalone classifier, on the dev split
        self.vote_accuracy = vote_accuracy   # of the votes cast on the dev split
        # None until measured: the voter then uses its default weight.
        path = Path(self.config["rules_file"])
        self.rules = TemplateRules.from_file(path if path.is_absolute() else PROJECT_ROOT / path)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TemplateMatcher":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Measure the main-intent accuracy (standalone and of its votes) on the dev split."""
        from neural.data import dev_split, examples_from

        _, dev = dev_split(examples_from(training_data), self.config["dev_fraction"], self.config["seed"])
        matched = [self.rules.main_intent(e.text) for e in dev]
        right = [votes.ranking(self.scores_for(m))[0]["name"] == e.intent for m, e in zip(matched, dev)]
        cast = [ok for ok, m in zip(right, matched) if self.votes_on(m)]
        if dev:
            self.dev_accuracy = sum(right) / len(dev)
        if cast:
            self.vote_accuracy = sum(cast) / len(cast)
        with self._storage.write_to(self._resource) as directory:
            (directory / "meta.json").write_text(json.dumps({
                "dev_accuracy": self.dev_accuracy, "dev_examples": len(dev),
                "vote_accuracy": self.vote_accuracy, "votes_cast": len(cast)}), encoding="utf-8")
        return self._resource

    def votes_on(self, matched: Optional[str]) -> bool:
        """Whether this member casts an ensemble vote, given the pattern that ``matched`` (if any)."""
        return matched is not None or not self.config["abstain_without_match"]

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "TemplateMatcher":
        try:
            with model_storage.read_from(resource) as directory:
                meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            meta = {}
        return cls(config, model_storage, resource, meta.get("dev_accuracy"), meta.get("vote_accuracy"))

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        path = Path(config.get("rules_file", DEFAULT_RULES))
        path = path if path.is_absolute() else PROJECT_ROOT / path
        return path.read_text(encoding="utf-8") if path.exists() else None

    def scores_for(self, matched: Optional[str]) -> Dict[str, float]:
        """A probability-like distribution over the main intents, given the small-talk
        intent whose pattern ``matched`` the message (None: no pattern matched)."""
        top, conf = (matched, self.config["match_confidence"]) if matched else (
            "diagnosis", self.config["diagnosis_confidence"])
        rest = (1.0 - conf) / (len(votes.MAIN_INTENTS) - 1)
        return {name: (conf if name == top else rest) for name in votes.MAIN_INTENTS}

    def sub_scores(self, text: str) -> Dict[str, float]:
        """Keyword hits turned into a distribution (no hit: uniform, ``other`` first)."""
        hits = self.rules.sub_intent_hits(text)
        smoothing = 0.05
        raw = {name: hits.get(name, 0.0) + smoothing for name in votes.SUB_INTENTS}
        if not hits:
            raw["other"] += smoothing
        total = sum(raw.values())
        return {name: value / total for name, value in raw.items()}

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get("text") or ""
            matched = self.rules.main_intent(text)
            scores = self.scores_for(matched)
            if self.votes_on(matched):
                votes.set_intent(message, scores, MEMBER, weight=self.vote_accuracy)
            else:   # the standalone result only; the ensemble voter decides without it
                votes.set_final_intent(message, scores)
            if not message.get(votes.SUB_INTENT):
                votes.set_sub_intent(message, self.sub_scores(text))
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
