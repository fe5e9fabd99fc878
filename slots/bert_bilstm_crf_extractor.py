"""BERT-BiLSTM-CRF: a learned entity extractor for names the dictionary does not know.

A BERT encoder reads the message character by character, a bidirectional LSTM runs over
its states, a linear layer scores the BIO tags (``B-disease``, ``I-disease``, ..., ``O``)
of every character, and a CRF (``neural.crf``: forward algorithm for the likelihood,
Viterbi decoding, BIO-constrained transitions) picks the best tag sequence.
Why: the Aho-Corasick extractor only finds names spelt exactly as in the graph; this
model learns what a disease/symptom/drug mention looks like and where it sits in a
question, so it also finds misspelt names ("糖尿并") and names missing from the graph.
Training augments the sentences with swapped, invented and misspelt names.

Entities carry ``extractor: BertBiLstmCrfExtractor``, ``value`` = the surface text,
``confidence_entity`` (mean CRF marginal probability of the span's tags) and
``linked: False``: ``slots.entity_linker.EntityLinker`` (after this component) merges
them with the dictionary matches and links them to graph nodes.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import random
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Type

import torch
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from torch import nn
from transformers import BertModel

import neural  # noqa: F401  (first: bounds OpenMP spin-waiting before torch loads)
from core.vocabulary import ENTITY_TYPES
from neural import config_checks as checks
from neural.component import NeuralComponent
from neural.crf import CRF, bio_constraints
from neural.data import Example, Span, examples_from
from neural.encoder import EncoderNetwork
from neural.training import fit

logger = logging.getLogger(__name__)

EXTRACTOR = "BertBiLstmCrfExtractor"
OUTSIDE = "O"


def bio_tags(entity_types: Sequence[str]) -> List[str]:
    """``["O", "B-a", "I-a", "B-b", ...]`` for the given entity types."""
    return [OUTSIDE] + [f"{p}-{t}" for t in entity_types for p in ("B", "I")]


def encode_tags(length: int, spans: Sequence[Span], index: Dict[str, int]) -> List[int]:
    """BIO tag ids for ``length`` characters (spans past the end are cut)."""
    tags = [index[OUTSIDE]] * length
    for start, end, kind in spans:
        if f"B-{kind}" not in index or start >= length:
            continue
        tags[start] = index[f"B-{kind}"]
        for i in range(start + 1, min(end, length)):
            tags[i] = index[f"I-{kind}"]
    return tags


def decode_spans(tags: Sequence[str]) -> List[Span]:
    """Spans ``(start, end, type)`` from BIO tags (an ``I`` without ``B`` starts a span)."""
    spans: List[Span] = []
    start, kind = None, None
    for i, tag in enumerate(list(tags) + [OUTSIDE]):
        inside = tag.startswith("I-") and kind == tag[2:]
        if start is not None and not inside:
            assert kind is not None  # set together with start
            spans.append((start, i, kind))
            start, kind = None, None
        if tag.startswith("B-") or (tag.startswith("I-") and start is None):
            start, kind = i, tag[2:]
    return spans


def span_f1(gold: Sequence[Sequence[Span]], predicted: Sequence[Sequence[Span]]) -> float:
    """Micro F1 over exact ``(start, end, type)`` matches."""
    tp = sum(len(set(g) & set(p)) for g, p in zip(gold, predicted))
    n_gold, n_pred = sum(len(g) for g in gold), sum(len(p) for p in predicted)
    if not n_gold and not n_pred:
        return 1.0
    return 2 * tp / (n_gold + n_pred) if (n_gold + n_pred) else 0.0


class BertBiLstmCrf(EncoderNetwork):
    """BERT encoder -> BiLSTM -> linear tag scores per character -> CRF."""

    crf: CRF

    def __init__(self, encoder: BertModel, tags: List[str], lstm_hidden: int, dropout: float) -> None:
        super().__init__(encoder)
        self.dropout = nn.Dropout(dropout)
        self.lstm = nn.LSTM(encoder.config.hidden_size, lstm_hidden, batch_first=True, bidirectional=True)
        self.emit = nn.Linear(2 * lstm_hidden, len(tags))
        self.crf = CRF(len(tags), *bio_constraints(tags))

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(emissions [B, chars, tags], char_mask [B, chars])``; [CLS]/[SEP] dropped."""
        states = self.dropout(self.encode(input_ids, attention_mask))
        lengths = attention_mask.sum(1)
        if bool(attention_mask.all()):
            out, _ = self.lstm(states)
        else:
            packed = nn.utils.rnn.pack_padded_sequence(
                states, lengths.cpu(), batch_first=True, enforce_sorted=False
            )
            out, _ = self.lstm(packed)
            out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=states.size(1))
        emissions = self.emit(self.dropout(out))[:, 1:-1]
        positions = torch.arange(emissions.size(1), device=emissions.device)
        char_mask = positions.unsqueeze(0) < (lengths - 2).unsqueeze(1)
        return emissions, char_mask


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class BertBiLstmCrfExtractor(NeuralComponent, EntityExtractorMixin):
    """Character BIO tagging with BERT + BiLSTM + CRF, for every entity type in the data."""

    ARCHITECTURE_KEYS = ("lstm_hidden",)

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
            **NeuralComponent.get_default_config(),
            # Two layers: as good on the dev split as three, faster to train and to run.
            "hidden_size": 256,
            "num_layers": 2,
            "num_heads": 4,
            "intermediate_size": 1024,
            "lstm_hidden": 128,
            "epochs": 8,
            # Entity swaps/inventions/typos matter most here: they teach context over memory.
            "swap_prob": 0.6,
            "splice_prob": 0.3,
            "typo_prob": 0.2,
            # Spans whose confidence is below this are dropped.
            "min_confidence": 0.3,
            # Entity types to learn (None: every type annotated in the data). Types the
            # dictionary covers well can be left to the Aho-Corasick extractor, which keeps
            # the CRF's few-example guesses (e.g. a half-word "symptom") out of the output.
            "entity_types": None,
        }

    @classmethod
    def check_config(cls, config: Dict[str, Any]) -> None:
        super().check_config(config)
        checks.known(EXTRACTOR, "entity_types", config["entity_types"] or (), ENTITY_TYPES)
        checks.unit_interval(config, EXTRACTOR, "min_confidence")
        checks.at_least_one(config, EXTRACTOR, "lstm_hidden")

    def build_network(self, encoder: BertModel, labels: List[str]) -> BertBiLstmCrf:
        return BertBiLstmCrf(encoder, labels, self.config["lstm_hidden"], self.config["dropout"])

    def _tagger(self) -> BertBiLstmCrf:
        """The trained network (``build_network`` always makes a ``BertBiLstmCrf``)."""
        network = self._trained_network()
        assert isinstance(network, BertBiLstmCrf)
        return network

    def train(self, training_data: TrainingData) -> Resource:
        examples = examples_from(training_data)
        wanted = self.config["entity_types"]
        if wanted:
            examples = [
                dataclasses.replace(e, entities=tuple(s for s in e.entities if s[2] in wanted))
                for e in examples
            ]
        types = sorted({kind for e in examples for _, _, kind in e.entities})
        if not types:
            logger.warning("%s: no annotated entities in the training data; nothing trained", EXTRACTOR)
            return self._resource
        train, dev = self.split(examples)
        tags = bio_tags(types)
        self.prepare([e.text for e in train], tags)
        index = {tag: i for i, tag in enumerate(tags)}
        augment = self.augmenter(train)
        tokenizer = self._trained_tokenizer()
        max_chars = tokenizer.max_chars

        def make_batch(chunk: Sequence[Example], rng: random.Random):
            chunk = [augment(e, rng) for e in chunk]
            ids, mask = tokenizer.pad([self.token_ids(e.text, rng) for e in chunk])
            gold = torch.zeros(len(chunk), ids.size(1) - 2, dtype=torch.long)
            for row, e in enumerate(chunk):
                n = min(len(e.text), max_chars)
                gold[row, :n] = torch.tensor(encode_tags(n, e.entities, index), dtype=torch.long)
            return ids, mask, gold

        def loss_fn(network, batch) -> torch.Tensor:
            ids, mask, gold = batch
            emissions, char_mask = network(ids, mask)
            return -network.crf.log_likelihood(emissions, gold, char_mask).mean()

        def evaluate(network) -> Tuple[float, float]:
            predicted = self.extract([e.text for e in dev], with_confidence=False)
            gold = [[s for s in e.entities if s[1] <= max_chars] for e in dev]
            return span_f1(gold, [[s[:3] for s in p] for p in predicted]), 0.0

        result = fit(
            self._tagger(),
            train,
            make_batch,
            loss_fn,
            evaluate if dev else None,
            length=lambda e: len(e.text),
            epochs=self.config["epochs"],
            batch_size=self.config["batch_size"],
            learning_rate=self.config["learning_rate"],
            weight_decay=self.config["weight_decay"],
            patience=self.config["patience"],
            seed=self.config["seed"],
            desc=EXTRACTOR,
        )
        self.meta.update(
            {
                "entity_types": types,
                "dev_f1": result.best_score[0] if result.best_score else None,
                "train_examples": len(train),
                "dev_examples": len(dev),
                "best_epoch": result.best_epoch,
                "epochs_run": result.epochs_run,
                "train_seconds": round(result.seconds, 1),
            }
        )
        logger.info("%s: dev span F1 %s, %.0f s", EXTRACTOR, self.meta["dev_f1"], result.seconds)
        self.persist()
        return self._resource

    def extract(
        self, texts: Sequence[str], with_confidence: bool = True, batch_size: int = 128
    ) -> List[List[Tuple[int, int, str, float]]]:
        """``(start, end, type, confidence)`` spans per text (confidence 1.0 if not computed)."""
        tags = self.labels
        results: List[List[Tuple[int, int, str, float]]] = [[] for _ in texts]
        todo = [i for i, text in enumerate(texts) if text]  # the CRF needs >= 1 character
        network, tokenizer = self._tagger(), self._trained_tokenizer()
        crf = network.crf

        def lazy_marginals(emissions: Any, char_mask: Any) -> Callable[[], List[List[List[float]]]]:
            # computed at most once per batch, and only if a text in it has a span
            return functools.lru_cache(maxsize=1)(lambda: crf.marginal_rows(emissions, char_mask))

        def spans_of(text: str, path: List[int], marginals: Callable[[], List[List[List[float]]]], row: int):
            spans = []
            for start, end, kind in decode_spans([tags[t] for t in path]):
                while start < end and text[start].isspace():
                    start += 1
                while end > start and text[end - 1].isspace():
                    end -= 1
                if start >= end:
                    continue
                confidence = 1.0
                if with_confidence:
                    rows = marginals()[row]
                    confidence = sum(rows[t][path[t]] for t in range(start, end)) / (end - start)
                spans.append((start, end, kind, confidence))
            return spans

        if len(todo) == 1:  # serving: one message, its outputs as NumPy, no torch operator
            text = texts[todo[0]]
            emissions, char_mask = network.infer_unpadded(tokenizer.encode(text))
            path = crf.viterbi(emissions, char_mask)[0]
            results[todo[0]] = spans_of(text, path, lazy_marginals(emissions, char_mask), 0)
            return results
        with torch.inference_mode():
            for first in range(0, len(todo), batch_size):
                rows = todo[first : first + batch_size]
                chunk = [texts[i] for i in rows]
                ids, mask = tokenizer.pad([tokenizer.encode(t) for t in chunk])
                emissions, char_mask = network.infer(ids, mask)
                paths = crf.viterbi(emissions, char_mask)
                every = lazy_marginals(emissions, char_mask)
                for row, (text, path) in enumerate(zip(chunk, paths)):
                    results[rows[row]] = spans_of(text, path, every, row)
        return results

    def process(self, messages: List[Message]) -> List[Message]:
        if not self.ready:
            return messages
        texts = [m.get("text") or "" for m in messages]
        for message, text, spans in zip(messages, texts, self.extract(texts)):
            found = [
                {
                    "entity": kind,
                    "start": start,
                    "end": end,
                    "value": text[start:end],
                    "text": text[start:end],
                    "confidence_entity": round(confidence, 4),
                    "extractor": EXTRACTOR,
                    "linked": False,
                }
                for start, end, kind, confidence in spans
                if confidence >= self.config["min_confidence"]
            ]
            if found:
                message.set(ENTITIES, (message.get(ENTITIES) or []) + found, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
