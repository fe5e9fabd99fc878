"""Character n-gram classifier: the sub-intent from TF-IDF character 1–3-grams and a
logistic regression. The second member of the sub-intent ensemble, next to RoBERTa-TextCNN.

Why: a sub-intent hangs on a few question words ("怎么治", "传染", "挂什么科"). A linear
model over character n-grams learns each of them from every sentence it occurs in and
cannot overfit a sentence's shape the way a network trained from scratch on a few
thousand sentences can; the two make different mistakes, so their accuracy-weighted
average (``intents.ensemble_voter.EnsembleVoter`` with ``target: sub_intent``) beats
either alone on the dev templates. It reads its input the way the TextCNN does: entity
mentions as their type ("[disease]怎么治"), English glossary words as their Chinese word.

Trains in seconds: the shared dev split (``neural.data.dev_split``) measures the accuracy
that weights its vote, then it is refit on all templates. Persisted without pickle: the
vectoriser's vocabulary and the labels as JSON, the idf and the regression's coefficients
and intercepts as ``.npz`` (loaded with ``allow_pickle=False``); ``NgramScorer`` computes
the probabilities from them with numpy, so loading needs no scikit-learn object at all.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from core.vocabulary import ENTITY_TYPES, MEDICAL_INTENT, SUB_INTENTS
from intents import clauses, votes
from neural.data import Example, Span, check_dev_split, dev_split, dev_split_defaults, examples_from, spans_of
from neural.english import english_to_chinese
from neural.text import segments
from slots.entity_linker import EntityLinker

logger = logging.getLogger(__name__)

MEMBER = "char_ngram"
# Stands for an entity mention of each type (private-use characters: never in real text).
TYPE_MARKS: Dict[str, str] = {kind: chr(0xE000 + i) for i, kind in enumerate(ENTITY_TYPES)}
OTHER_MARK = "\ue00f"
assert OTHER_MARK not in TYPE_MARKS.values(), "more entity types than private-use marks"
SCORER_ARRAYS = "ngram_scorer.npz"  # idf, coef, intercept
SCORER_JSON = "ngram_scorer.json"  # vocabulary, labels, ngram_range, meta


def read(text: str, spans: Sequence[Span], read_english: bool = True) -> str:
    """``text`` with each mention replaced by one mark for its type, English words of the
    glossary read as their Chinese word, lower-cased."""
    rewrite = english_to_chinese if read_english else (lambda piece: piece)
    return "".join(
        TYPE_MARKS.get(kind, OTHER_MARK) if kind else rewrite(piece) for piece, kind in segments(text, spans)
    ).lower()


class NgramScorer:
    """The fitted TF-IDF + logistic regression, applied to one text in plain Python/numpy.

    Same numbers as the sklearn pipeline's ``predict_proba`` (a test checks it) at about a
    twentieth of its per-call overhead, which matters for the parse latency budget.
    """

    def __init__(
        self,
        vocabulary: Dict[str, int],
        idf: np.ndarray,
        coef: np.ndarray,
        intercept: np.ndarray,
        labels: Sequence[str],
        ngram_range: Sequence[int],
    ) -> None:
        self.vocabulary, self.idf, self.labels = vocabulary, idf, [str(label) for label in labels]
        self.coef = coef  # [classes (1 if binary), features]
        self.coef_t = np.ascontiguousarray(coef.T)  # [features, classes]
        self.intercept = intercept
        self.low, self.high = int(ngram_range[0]), int(ngram_range[1])

    @classmethod
    def from_pipeline(cls, pipeline: Any) -> NgramScorer:
        vectorizer, regression = pipeline.steps[0][1], pipeline.steps[-1][1]
        return cls(
            {str(k): int(v) for k, v in vectorizer.vocabulary_.items()},
            vectorizer.idf_,
            regression.coef_,
            regression.intercept_,
            regression.classes_,
            vectorizer.ngram_range,
        )

    def save(self, directory: Path, meta: Dict[str, Any]) -> None:
        """``SCORER_ARRAYS`` (numbers) and ``SCORER_JSON`` (strings and ``meta``) in ``directory``."""
        np.savez(
            directory / SCORER_ARRAYS,
            idf=np.asarray(self.idf, dtype=np.float64),
            coef=np.asarray(self.coef, dtype=np.float64),
            intercept=np.asarray(self.intercept, dtype=np.float64),
        )
        (directory / SCORER_JSON).write_text(
            json.dumps(
                {
                    "vocabulary": self.vocabulary,
                    "labels": self.labels,
                    "ngram_range": [self.low, self.high],
                    "meta": meta,
                }
            ),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, directory: Path) -> tuple[NgramScorer, Dict[str, Any]]:
        """The scorer and the meta ``save`` wrote (``FileNotFoundError`` when there are none)."""
        saved = json.loads((directory / SCORER_JSON).read_text(encoding="utf-8"))
        with np.load(directory / SCORER_ARRAYS, allow_pickle=False) as arrays:
            idf, coef, intercept = arrays["idf"], arrays["coef"], arrays["intercept"]
        scorer = cls(saved["vocabulary"], idf, coef, intercept, saved["labels"], saved["ngram_range"])
        return scorer, saved["meta"]

    def probabilities(self, text: str) -> Dict[str, float]:
        counts: Dict[int, int] = {}
        vocabulary = self.vocabulary
        text = " ".join(text.split())  # the vectorizer's whitespace normalisation
        for n in range(self.low, self.high + 1):
            for i in range(len(text) - n + 1):
                index = vocabulary.get(text[i : i + n])
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
        logits = self.intercept.copy()
        if counts:
            indices = np.fromiter(counts, dtype=np.int64, count=len(counts))
            weights = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            weights *= self.idf[indices]
            weights /= np.sqrt(np.dot(weights, weights))
            logits = logits + weights @ self.coef_t[indices]
        if len(self.labels) == 2:  # binary: one column of coefficients
            p = 1.0 / (1.0 + np.exp(-float(logits[0])))
            return {self.labels[0]: 1.0 - p, self.labels[1]: p}
        exp = np.exp(logits - logits.max())
        return dict(zip(self.labels, (exp / exp.sum()).tolist()))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class CharNgramClassifier(GraphComponent, votes.VotingMember):
    """Sub-intent vote from character n-grams (TF-IDF + logistic regression)."""

    @classmethod
    def required_components(cls) -> List[Type]:
        # Rasa 3.6 chains only tokenizers/featurizers in the training graph, so a trainable
        # component cannot require an extractor or classifier there: the order contract is
        # ``runs_after`` (checked against config.yml by tests/nlu_components/test_contracts.py).
        return []

    @classmethod
    def runs_after(cls, config: Optional[Dict[str, Any]] = None) -> List[Type]:
        """The components that must come earlier in the pipeline (it reads the linked mentions
        as their type)."""
        return [EntityLinker]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # Character n-gram lengths (inclusive range).
            "ngram_range": [1, 3],
            # Inverse regularisation strength of the logistic regression.
            "C": 10.0,
            # Read English glossary words as their Chinese word (neural/english_terms.yml).
            "read_english": True,
            # The shared dev split its vote weight is measured on (core.vocabulary).
            **dev_split_defaults(),
        }

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        scorer: Optional[NgramScorer] = None,
        meta: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        check_dev_split(self.config, type(self).__name__)
        ngram_range = self.config["ngram_range"]
        integers = all(isinstance(n, int) and not isinstance(n, bool) for n in ngram_range)
        if len(ngram_range) != 2 or not integers or not 1 <= ngram_range[0] <= ngram_range[1]:
            raise InvalidConfigException(
                f"CharNgramClassifier: ngram_range must be [low, high] with "
                f"1 <= low <= high, not {ngram_range!r}"
            )
        if not float(self.config["C"]) > 0:
            raise InvalidConfigException(f"CharNgramClassifier: C must be positive, not {self.config['C']!r}")
        self._storage, self._resource = model_storage, resource
        self.model: Any = None  # sklearn Pipeline(TfidfVectorizer, LogisticRegression), after fit()
        self.scorer = scorer  # what predicts: fitted, or loaded from the model storage
        self.meta = meta or {}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CharNgramClassifier:
        return cls(config, model_storage, resource)

    def fit(self, examples: Sequence[Example]) -> None:
        """Fit a new model on ``examples`` (diagnosis examples with a sub-intent)."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        low, high = self.config["ngram_range"]
        model = make_pipeline(
            TfidfVectorizer(
                analyzer="char", ngram_range=(int(low), int(high)), sublinear_tf=True, lowercase=False
            ),
            LogisticRegression(C=float(self.config["C"]), max_iter=3000),
        )
        self.model = model.fit(
            [self._read(e.text, e.entities) for e in examples], [e.sub_intent for e in examples]
        )
        self.scorer = NgramScorer.from_pipeline(self.model)

    def _read(self, text: str, spans: Sequence[Span]) -> str:
        return read(text, spans, bool(self.config["read_english"]))

    def train(self, training_data: TrainingData) -> Resource:
        examples = [
            e
            for e in examples_from(training_data)
            if e.intent == MEDICAL_INTENT and e.sub_intent in SUB_INTENTS
        ]
        if len({e.sub_intent for e in examples}) < 2:
            logger.warning("%s: fewer than two sub-intents to learn; nothing trained", type(self).__name__)
            return self._resource
        train, dev = dev_split(examples, self.config["dev_fraction"], self.config["seed"])
        dev_accuracy = None
        if dev and len({e.sub_intent for e in train}) > 1:
            self.fit(train)
            predicted = self.model.predict([self._read(e.text, e.entities) for e in dev])
            dev_accuracy = float(sum(p == e.sub_intent for p, e in zip(predicted, dev)) / len(dev))
        self.fit(examples)  # refit on every template
        self.meta = {"dev_accuracy": dev_accuracy, "dev_examples": len(dev), "train_examples": len(examples)}
        logger.info(
            "%s: dev accuracy %s (%d dev examples), refit on all", type(self).__name__, dev_accuracy, len(dev)
        )
        self.persist()
        return self._resource

    @property
    def dev_accuracy(self) -> Optional[float]:
        return self.meta.get("dev_accuracy")

    def _trained_scorer(self) -> NgramScorer:
        """``self.scorer``, set by ``fit`` (training) or ``load``."""
        if self.scorer is None:
            raise RuntimeError(f"{type(self).__name__}: no scorer; train or load the component first")
        return self.scorer

    def predict(self, texts: Sequence[str], spans: Sequence[Sequence[Span]]) -> List[Dict[str, float]]:
        """A probability per sub-intent for each text."""
        scorer = self._trained_scorer()
        return [scorer.probabilities(self._read(t, s)) for t, s in zip(texts, spans)]

    def process(self, messages: List[Message]) -> List[Message]:
        if self.scorer is None:
            return messages
        texts = [m.get(TEXT) or "" for m in messages]
        spans = [spans_of(t, m.get(ENTITIES) or []) for t, m in zip(texts, messages)]
        for message, text, scores in zip(messages, texts, self.predict(texts, spans)):
            if text:
                votes.record_sub_intent_vote(message, scores, MEMBER, self.dev_accuracy)
        clauses.record_clause_votes(messages, self.predict, MEMBER)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def persist(self) -> None:
        scorer = self._trained_scorer()
        with self._storage.write_to(self._resource) as directory:
            scorer.save(directory, self.meta)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CharNgramClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                scorer, meta = NgramScorer.load(directory)
        except (ValueError, FileNotFoundError):
            logger.warning("%s: no trained model found, it will not vote", cls.__name__)
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, scorer, meta)
