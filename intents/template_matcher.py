"""Template matcher: the main intent from regular expressions (and a keyword reading of
the sub-intent).

Why: rules are precise for small talk ("你好", "是的", "再见") and give an explainable
signal for question words ("症状", "怎么治"). As a member of the main-intent ensemble its
vote is weighted by its measured dev accuracy; alone it is a complete (if brittle)
main-intent classifier, which keeps the walking skeleton usable without neural models.
The patterns are compiled with RE2 (``safety.patterns``): time linear in the message.
It never sets ``sub_intent``: the sub-intent vote does (it used to fill it in when nothing
else had, a fallback the trained pipeline never reached for a non-empty message); its
keyword reading (``sub_scores``) stays for the rules' tests and for inspection.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Type

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from core.paths import PROJECT_ROOT
from core.vocabulary import MAIN_INTENTS, MEDICAL_INTENT, OTHER_SUB_INTENT, SUB_INTENTS
from intents import votes
from neural.data import check_dev_split, dev_split, dev_split_defaults, examples_from
from safety.patterns import Regex, compile_pattern

DEFAULT_RULES = PROJECT_ROOT / "intents" / "rules.yml"
MEMBER = "template_matcher"


class TemplateRules:
    """Compiled rules: anchored patterns per main intent, keywords per sub-intent."""

    def __init__(self, main: Dict[str, List[Regex]], sub: Dict[str, List[str]]) -> None:
        self.main, self.sub = main, sub

    @classmethod
    def from_file(cls, path: Path) -> TemplateRules:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        try:
            main = {
                intent: [compile_pattern(p, ignore_case=True) for p in patterns]
                for intent, patterns in (raw.get("main_intents") or {}).items()
            }
        except ValueError as exc:
            raise InvalidConfigException(f"{path}: {exc}") from exc
        sub = {
            name: sorted(words, key=len, reverse=True)
            for name, words in (raw.get("sub_intents") or {}).items()
        }
        unknown = (set(main) - set(MAIN_INTENTS)) | (set(sub) - set(SUB_INTENTS))
        if unknown:
            raise InvalidConfigException(f"{path}: unknown intents {sorted(unknown)} (core.vocabulary)")
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


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TemplateMatcher(GraphComponent, votes.VotingMember):
    """Rule-based main-intent classifier and member of the main-intent vote (``intents/rules.yml``).

    Alone it is a complete main-intent classifier: a message no small-talk pattern
    matches is ``diagnosis``. In the ensemble it votes only when a pattern matched (config
    ``abstain_without_match``): the absence of a greeting is no evidence of a medical
    question, and a fixed "diagnosis" vote outvoted the neural member on small talk the
    rules do not cover. The rules are hand-written, so "training" only measures them on
    the shared dev split (``neural.data.dev_split``, the same one the neural members hold
    out) and persists the figures: ``dev_accuracy`` as a standalone classifier and
    ``vote_accuracy``, the accuracy of the votes it cast there, which is its vote weight.
    """

    @classmethod
    def required_components(cls) -> List[Type]:
        # Rasa 3.6 chains only tokenizers/featurizers in the training graph, so a trainable
        # component cannot require an extractor or classifier there: the order contract is
        # ``runs_after`` (checked against config.yml by tests/nlu_components/test_contracts.py).
        return []

    @classmethod
    def runs_after(cls, config: Optional[Dict[str, Any]] = None) -> List[Type]:
        """The components that must come earlier in the pipeline (none: it reads the text only)."""
        return []

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # YAML file with main_intents (regexes) and sub_intents (keywords).
            "rules_file": str(DEFAULT_RULES),
            # Confidence given to a matching small-talk pattern.
            "match_confidence": 0.9,
            # Confidence for "diagnosis" when no small-talk pattern matched.
            "diagnosis_confidence": 0.7,
            # In the ensemble, vote only when a small-talk pattern matched (False: always vote).
            "abstain_without_match": True,
            # The shared dev split its vote weight is measured on (core.vocabulary).
            **dev_split_defaults(),
        }

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: Optional[ModelStorage] = None,
        resource: Optional[Resource] = None,
        dev_accuracy: Optional[float] = None,
        vote_accuracy: Optional[float] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        check_dev_split(self.config, type(self).__name__)
        for key in ("match_confidence", "diagnosis_confidence"):
            if not 0 < float(self.config[key]) <= 1:
                raise InvalidConfigException(
                    f"TemplateMatcher: {key} must be in (0, 1], not {self.config[key]!r}"
                )
        self._storage, self._resource = model_storage, resource
        self.dev_accuracy = dev_accuracy  # as a standalone classifier, on the dev split
        self.vote_accuracy = vote_accuracy  # of the votes cast on the dev split
        # None until measured: the voter then uses its default weight.
        self.rules = TemplateRules.from_file(_rules_path(self.config["rules_file"]))

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TemplateMatcher:
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        path = _rules_path(config.get("rules_file", DEFAULT_RULES))
        return path.read_text(encoding="utf-8") if path.exists() else None

    def train(self, training_data: TrainingData) -> Resource:
        """Measure the main-intent accuracy (standalone and of its votes) on the dev split."""
        _, dev = dev_split(examples_from(training_data), self.config["dev_fraction"], self.config["seed"])
        matched = [self.rules.main_intent(e.text) for e in dev]
        right = [votes.ranking(self.scores_for(m))[0]["name"] == e.intent for m, e in zip(matched, dev)]
        cast = [ok for ok, m in zip(right, matched) if self.votes_on(m)]
        if dev:
            self.dev_accuracy = sum(right) / len(dev)
        if cast:
            self.vote_accuracy = sum(cast) / len(cast)
        self.persist(len(dev), len(cast))
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            matched = self.rules.main_intent(message.get("text") or "")
            scores = self.scores_for(matched)
            if self.votes_on(matched):
                votes.set_intent(message, scores, MEMBER, weight=self.vote_accuracy)
            else:  # the standalone result only; the ensemble voter decides without it
                votes.set_final_intent(message, scores)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def persist(self, dev_examples: int, votes_cast: int) -> None:
        if self._storage is None or self._resource is None:
            raise RuntimeError("TemplateMatcher: persist needs the model storage and resource of create()")
        with self._storage.write_to(self._resource) as directory:
            (directory / "meta.json").write_text(
                json.dumps(
                    {
                        "dev_accuracy": self.dev_accuracy,
                        "dev_examples": dev_examples,
                        "vote_accuracy": self.vote_accuracy,
                        "votes_cast": votes_cast,
                    }
                ),
                encoding="utf-8",
            )

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TemplateMatcher:
        try:
            with model_storage.read_from(resource) as directory:
                meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            meta = {}
        return cls(config, model_storage, resource, meta.get("dev_accuracy"), meta.get("vote_accuracy"))

    # ------------------------------------------------------------------ scoring
    def votes_on(self, matched: Optional[str]) -> bool:
        """Whether this member casts an ensemble vote, given the pattern that ``matched`` (if any)."""
        return matched is not None or not self.config["abstain_without_match"]

    def scores_for(self, matched: Optional[str]) -> Dict[str, float]:
        """A probability-like distribution over the main intents, given the small-talk
        intent whose pattern ``matched`` the message (None: no pattern matched)."""
        top, conf = (
            (matched, self.config["match_confidence"])
            if matched
            else (MEDICAL_INTENT, self.config["diagnosis_confidence"])
        )
        rest = (1.0 - conf) / (len(MAIN_INTENTS) - 1)
        return {name: (conf if name == top else rest) for name in MAIN_INTENTS}

    def sub_scores(self, text: str) -> Dict[str, float]:
        """The rules' keyword reading of the sub-intent, as a distribution (no hit: uniform,
        ``other`` first). Not set on messages: the sub-intent vote decides ``sub_intent``."""
        hits = self.rules.sub_intent_hits(text)
        smoothing = 0.05
        raw = {name: hits.get(name, 0.0) + smoothing for name in SUB_INTENTS}
        if not hits:
            raw[OTHER_SUB_INTENT] += smoothing
        total = sum(raw.values())
        return {name: value / total for name, value in raw.items()}


def _rules_path(value: Any) -> Path:
    """The rules file ``value`` names, as given or relative to the project root."""
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path
