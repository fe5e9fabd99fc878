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
that weights its vote, then it is refit on all templates.
"""
from __future__ import annotations

import logging
import pickle
from typing import Any, Dict, List, Optional, Sequence, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from intents import votes
from neural.data import Example, Span, dev_split, examples_from, spans_of
from neural.english import english_to_chinese
from neural.text import segments

logger = logging.getLogger(__name__)

MEMBER = "char_ngram"
# Stands for an entity mention of each type (private-use characters: never in real text).
TYPE_MARKS = {"disease": "\ue000", "symptom": "\ue001", "drug": "\ue002", "food": "\ue003",
              "check": "\ue004", "department": "\ue005"}
OTHER_MARK = "\ue00f"


def read(text: str, spans: Sequence[Span], read_english: bool = True) -> str:
    """``text`` with each mention replaced by one mark for its type, English words of the
    glossary read as their Chinese word, lower-cased."""
    rewrite = english_to_chinese if read_english else (lambda piece: piece)
    return "".join(TYPE_MARKS.get(kind, OTHER_MARK) if kind else rewrite(piece)
                   for piece, kind in segments(text, spans)).lower()


class NgramScorer:
    """The fitted TF-IDF + logistic regression, applied to one text in plain Python/numpy.

    Same numbers as the sklearn pipeline's ``predict_proba`` (a test checks it) at about a
    twentieth of its per-call overhead, which matters for the parse latency budget.
    """

    def __init__(self, vocabulary: Dict[str, int], idf: np.ndarray, coef: np.ndarray,
                 intercept: np.ndarray, labels: Sequence[str], ngram_range: Sequence[int]) -> None:
        self.vocabulary, self.idf, self.labels = vocabulary, idf, [str(label) for label in labels]
        self.coef_t = np.ascontiguousarray(coef.T)     # [features, classes]
        self.intercept = intercept
        self.low, self.high = int(ngram_range[0]), int(ngram_range[1])

    @classmethod
    def from_pipeline(cls, pipeline: Any) -> "NgramScorer":
        vectorizer, regression = pipeline.steps[0][1], pipeline.steps[-1][1]
        return cls(vectorizer.vocabulary_, vectorizer.idf_, regression.coef_, regression.intercept_,
                   regression.classes_, vectorizer.ngram_range)

    def probabilities(self, text: str) -> Dict[str, float]:
        counts: Dict[int, int] = {}
        vocabulary = self.vocabulary
        text = " ".join(text.split())          # the vectorizer's whitespace normalisation
        for n in range(self.low, self.high + 1):
            for i in range(len(text) - n + 1):
                index = vocabulary.get(text[i:i + n])
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
        logits = self.intercept.copy()
        if counts:
            indices = np.fromiter(counts, dtype=np.int64, count=len(counts))
            weights = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts))))
            weights *= self.idf[indices]
            weights /= np.sqrt(np.dot(weights, weights))
            logits = logits + weights @ self.coef_t[indices]
        if len(self.labels) == 2:              # binary: one column of coefficients
            p = 1.0 / (1.0 + np.exp(-float(logits[0])))
            return {self.labels[0]: 1.0 - p, self.labels[1]: p}
        exp = np.exp(logits - logits.max())
        return dict(zip(self.labels, (exp / exp.sum()).tolist()))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class CharNgramClassifier(GraphComponent):
    """Sub-intent vote from character n-grams (TF-IDF + logistic regression)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Character n-gram lengths (inclusive range).
            "ngram_range": [1, 3],
            # Inverse regularisation strength of the logistic regression.
            "C": 10.0,
            # Read English glossary words as their Chinese word (neural/english_terms.yml).
            "read_english": True,
            # Same dev split as the neural components (see neural.data.dev_split).
            "dev_fraction": 0.1,
            "seed": 42,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Any = None, meta: Optional[Dict[str, Any]] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._storage, self._resource = model_storage, resource
        self.model = model            # sklearn Pipeline(TfidfVectorizer, LogisticRegression)
        self.meta = meta or {}
        self._scorer: Optional["NgramScorer"] = None

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "CharNgramClassifier":
        return cls(config, model_storage, resource)

    def fit(self, examples: Sequence[Example]) -> None:
        """Fit a new model on ``examples`` (diagnosis examples with a sub-intent)."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        low, high = self.config["ngram_range"]
        model = make_pipeline(
            TfidfVectorizer(analyzer="char", ngram_range=(int(low), int(high)), sublinear_tf=True,
                            lowercase=False),
            LogisticRegression(C=float(self.config["C"]), max_iter=3000))
        self.model = model.fit([self._read(e.text, e.entities) for e in examples],
                               [e.sub_intent for e in examples])
        self._scorer = None

    def _read(self, text: str, spans: Sequence[Span]) -> str:
        return read(text, spans, bool(self.config["read_english"]))

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in examples_from(training_data)
                    if e.intent == "diagnosis" and e.sub_intent in votes.SUB_INTENTS]
        if len({e.sub_intent for e in examples}) < 2:
            logger.warning("%s: fewer than two sub-intents to learn; nothing trained", type(self).__name__)
            return self._resource
        train, dev = dev_split(examples, self.config["dev_fraction"], self.config["seed"])
        dev_accuracy = None
        if dev and len({e.sub_intent for e in train}) > 1:
            self.fit(train)
            predicted = self.model.predict([self._read(e.text, e.entities) for e in dev])
            dev_accuracy = float(sum(p == e.sub_intent for p, e in zip(predicted, dev)) / len(dev))
        self.fit(examples)     # refit on every template
        self.meta = {"dev_accuracy": dev_accuracy, "dev_examples": len(dev), "train_examples": len(examples)}
        logger.info("%s: dev accuracy %s (%d dev examples), refit on all", type(self).__name__,
                    dev_accuracy, len(dev))
        self.persist()
        return self._resource

    def persist(self) -> None:
        with self._storage.write_to(self._resource) as directory:
            with open(directory / "model.pkl", "wb") as handle:
                pickle.dump({"model": self.model, "meta": self.meta}, handle)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "CharNgramClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                with open(directory / "model.pkl", "rb") as handle:
                    saved = pickle.load(handle)   # written by train() above, inside the model archive
        except (ValueError, FileNotFoundError):
            logger.warning("%s: no trained model found, it will not vote", cls.__name__)
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, saved["model"], saved["meta"])

    @property
    def dev_accuracy(self) -> Optional[float]:
        return self.meta.get("dev_accuracy")

    def predict(self, texts: Sequence[str], spans: Sequence[Sequence[Span]]) -> List[Dict[str, float]]:
        """A probability per sub-intent for each text."""
        if self._scorer is None:
            self._scorer = NgramScorer.from_pipeline(self.model)
        return [self._scorer.probabilities(self._read(t, s)) for t, s in zip(texts, spans)]

    def process(self, messages: List[Message]) -> List[Message]:
        if self.model is None:
            return messages
        texts = [m.get(TEXT) or "" for m in messages]
        spans = [spans_of(t, m.get(ENTITIES) or []) for t, m in zip(texts, messages)]
        for message, text, scores in zip(messages, texts, self.predict(texts, spans)):
            if text:
                votes.record_sub_intent_vote(message, scores, MEMBER, self.dev_accuracy)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
