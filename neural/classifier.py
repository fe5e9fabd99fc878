"""Training and prediction for text classifiers (encoder + head -> one label per message).

The TinyBERT-RNN main-intent classifier and the RoBERTa-TextCNN sub-intent classifier
differ only in their head and in which label they learn; the training loop (dev split,
augmentation, cross-entropy, early stopping on dev accuracy, optionally a refit on all
templates for the best epoch count), the dev accuracy kept as the component's vote
weight, and batched prediction live here once. So does the serving path: one message
through onnxruntime on NumPy, and the early start of a classifier that reads the text alone
(its scores computed on a worker thread while the extractors run, see ``start_early``).
"""

from __future__ import annotations

import logging
import os
import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from neural import config_checks as checks
from neural.component import NeuralComponent
from neural.data import Example, Span, examples_from, spans_of
from neural.english import english_to_chinese
from neural.training import FitResult, fit

logger = logging.getLogger(__name__)

# Up to this many texts (a message and its question clauses at serving time) run one by one
# through onnxruntime, unpadded; larger batches (training, evaluation) go padded through torch.
ONNX_ROWS = 8


class TextClassifierComponent(NeuralComponent):
    """A ``NeuralComponent`` whose network maps ``(input_ids, attention_mask)`` to logits."""

    # The label set, in output order (subclasses set it).
    LABELS: Tuple[str, ...] = ()

    # A long message keeps its end: the question usually comes after the story.
    KEEP_TAIL = True

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            **NeuralComponent.get_default_config(),
            "label_smoothing": 0.05,
            # Patients mix scripts. Share of the training sentences with part of the
            # question in pinyin ("ganmao zenme zhi"), and whether English words of the
            # glossary (neural/english_terms.yml) are read as their Chinese word
            # ("肺炎 contagious 吗" -> "肺炎 传染 吗", at training and at inference).
            "pinyin_prob": 0.15,
            "read_english": True,
            # Each epoch draws at most this many examples per label (fresh draw every
            # epoch; None: all). Balances the labels and bounds the training time.
            "max_per_label": None,
            # Read entity mentions as their type ("[disease]怎么治"): the label depends on
            # what is asked, not on which name. At inference the mentions come from the
            # extractors/linker earlier in the pipeline; in training from the annotations,
            # for a share ``entity_mask_prob`` of the examples (the rest keep the names, as
            # when an extractor misses one).
            "mask_entities": False,
            "entity_mask_prob": 0.9,
            # After early stopping on the dev templates, train a fresh network on all
            # templates for the best epoch count (the dev accuracy stays the estimate).
            "refit": True,
            # Serving: a classifier that reads the text alone (no mask_entities) starts its
            # scores on a worker thread as soon as the message exists, while the extractors
            # and the other classifiers run; onnxruntime releases the GIL, so on two cores
            # a message's latency drops by about this encoder's time (its CPU stays the same).
            "early_start": True,
        }

    @classmethod
    def check_config(cls, config: Dict[str, Any]) -> None:
        super().check_config(config)
        checks.unit_interval(config, cls.__name__, "label_smoothing", "entity_mask_prob")
        checks.boolean(config, cls.__name__, "early_start")
        if config["max_per_label"] is not None and int(config["max_per_label"]) < 1:
            raise InvalidConfigException(
                f"{cls.__name__}: max_per_label must be at least 1 (or None), not {config['max_per_label']!r}"
            )

    def label_of(self, example: Example) -> Optional[str]:
        """The label ``example`` teaches (None: not a training example for this component)."""
        raise NotImplementedError

    def _training_label(self, example: Example) -> str:
        """``label_of(example)`` for an example ``train`` kept (those all have a label)."""
        label = self.label_of(example)
        assert label is not None, "train() keeps only the examples with a label"
        return label

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in examples_from(training_data) if self.label_of(e) in self.LABELS]
        if not examples:
            logger.warning("%s: no training examples; nothing trained", type(self).__name__)
            return self._resource
        train, dev = self.split(examples)
        result = self.fit_examples(train, dev, self.config["epochs"])
        seconds = result.seconds
        refit = bool(self.config["refit"] and dev and result.best_epoch)
        if refit:
            # The dev templates chose the epoch count; now learn from every template (new
            # phrasings are what generalises). Fresh weights, same seed, that many epochs.
            seconds += self.fit_examples(examples, [], result.best_epoch, " (refit on all)").seconds
        self.meta.update(
            {
                "dev_accuracy": result.best_score[0] if result.best_score else None,
                "train_examples": len(examples) if refit else len(train),
                "dev_examples": len(dev),
                "best_epoch": result.best_epoch,
                "epochs_run": result.epochs_run,
                "refit": refit,
                "train_seconds": round(seconds, 1),
            }
        )
        logger.info(
            "%s: dev accuracy %s (%d dev examples)%s, %.0f s",
            type(self).__name__,
            self.meta["dev_accuracy"],
            len(dev),
            ", refit on all" if refit else "",
            seconds,
        )
        self.persist()
        return self._resource

    def fit_examples(
        self, train: Sequence[Example], dev: Sequence[Example], epochs: int, note: str = ""
    ) -> FitResult:
        """A new network trained on ``train``; early stopping on ``dev`` accuracy if given."""
        self.prepare([e.text for e in train], list(self.LABELS))
        tokenizer = self._trained_tokenizer()
        index = {label: i for i, label in enumerate(self.LABELS)}
        augment = self.augmenter(train)

        masking, mask_prob = self.config["mask_entities"], self.config["entity_mask_prob"]

        def make_batch(chunk: Sequence[Example], rng: random.Random):
            rows = []
            for e in chunk:
                e = augment(e, rng)
                spans = e.entities if masking and rng.random() < mask_prob else None
                rows.append(self.token_ids(e.text, rng, spans))
            ids, mask = tokenizer.pad(rows)
            return ids, mask, torch.tensor([index[self._training_label(e)] for e in chunk])

        def loss_fn(network, batch) -> torch.Tensor:
            ids, mask, gold = batch
            return F.cross_entropy(network(ids, mask), gold, label_smoothing=self.config["label_smoothing"])

        dev_gold = torch.tensor([index[self._training_label(e)] for e in dev])

        def evaluate(network) -> Tuple[float, float]:
            logits = self.logits([e.text for e in dev], [e.entities for e in dev])
            accuracy = float((logits.argmax(1) == dev_gold).float().mean())
            return accuracy, -float(F.cross_entropy(logits, dev_gold))

        by_label: Dict[str, List[Example]] = {}
        for e in train:
            by_label.setdefault(self._training_label(e), []).append(e)
        cap = self.config["max_per_label"]

        def epoch_items(rng: random.Random) -> List[Example]:
            if not cap:
                return list(train)
            return [
                e
                for label in sorted(by_label)
                for e in (rng.sample(by_label[label], cap) if len(by_label[label]) > cap else by_label[label])
            ]

        return fit(
            self._trained_network(),
            epoch_items,
            make_batch,
            loss_fn,
            evaluate if dev else None,
            length=lambda e: len(e.text),
            epochs=epochs,
            batch_size=self.config["batch_size"],
            learning_rate=self.config["learning_rate"],
            weight_decay=self.config["weight_decay"],
            patience=self.config["patience"],
            seed=self.config["seed"],
            desc=type(self).__name__ + note,
        )

    def logits(
        self, texts: Sequence[str], spans: Optional[Sequence[Sequence[Span]]] = None, batch_size: int = 128
    ) -> torch.Tensor:
        """Logits ``[len(texts), len(LABELS)]`` (eval mode, no gradients; onnxruntime when unpadded)."""
        return torch.from_numpy(self._logit_rows(texts, spans, batch_size))

    def _logit_rows(
        self, texts: Sequence[str], spans: Optional[Sequence[Sequence[Span]]], batch_size: int = 128
    ) -> np.ndarray:
        """``logits`` as a NumPy array.

        ``spans`` (per text) are the entity mentions, read as type tokens when the
        component masks entities.
        """
        per_text: Sequence[Optional[Sequence[Span]]] = (
            spans if self.config["mask_entities"] and spans is not None else [None] * len(texts)
        )
        network, tokenizer = self._trained_network(), self._trained_tokenizer()
        if network.uses_onnx and 0 < len(texts) <= ONNX_ROWS:
            # a message and its question clauses: each unpadded through onnxruntime, several
            # times faster than one padded batch through eager torch, and with no torch
            # operator around it (the same scores in fp32; with int8 weights within a few
            # hundredths: training-time dev accuracies, measured on larger batches, are fp32
            # figures)
            return np.concatenate(
                [network.infer_unpadded(self.encode(t, s))[0] for t, s in zip(texts, per_text)]
            )
        out = []
        for i in range(0, len(texts), batch_size):
            ids, mask = tokenizer.pad(
                [self.encode(t, s) for t, s in zip(texts[i : i + batch_size], per_text[i : i + batch_size])]
            )
            out.append(network.infer(ids, mask).numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.labels)), dtype=np.float32)

    def predict(
        self, texts: Sequence[str], spans: Optional[Sequence[Sequence[Span]]] = None
    ) -> List[Dict[str, float]]:
        """A probability per label for each text (softmax of the logits)."""
        labels = self.labels
        rows = self._logit_rows(texts, spans)
        rows = np.exp(rows - rows.max(axis=1, keepdims=True, initial=-np.inf))
        rows = rows / rows.sum(axis=1, keepdims=True)
        return [dict(zip(labels, row)) for row in rows.tolist()]

    def predict_messages(self, messages: Sequence[Message]) -> List[Optional[Dict[str, float]]]:
        """``predict`` for Rasa messages (None for a message without text); the scores
        ``start_early`` began for these very messages and texts when there are some."""
        texts = [m.get(TEXT) or "" for m in messages]
        early = self.__dict__.pop("_early", None)
        if early is not None and early[0] == [id(m) for m in messages] and early[1] == texts:
            return early[2].result()
        if not self.ready:
            return [None] * len(messages)
        return self._scores_of_texts(
            texts, [spans_of(t, m.get(ENTITIES) or []) for t, m in zip(texts, messages)]
        )

    def start_early(self, messages: Sequence[Message]) -> None:
        """Begin ``predict_messages(messages)`` on this component's worker thread (called by
        ``bot/graph_runner.py`` when the messages are made; nothing for a component that
        reads the entities, or with ``early_start`` off). ``process`` then takes the result,
        or computes it itself for any other messages."""
        if not self.config["early_start"] or self.config["mask_entities"] or not self.ready:
            return
        worker = self.__dict__.get("_worker")
        if worker is None or worker[0] != os.getpid():  # none yet, or a forked copy's (no thread)
            worker = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix=type(self).__name__))
            self.__dict__["_worker"] = worker
        texts = [m.get(TEXT) or "" for m in messages]
        scores = worker[1].submit(self._scores_of_texts, texts)
        self.__dict__["_early"] = ([id(m) for m in messages], texts, scores)

    def _scores_of_texts(
        self, texts: Sequence[str], spans: Optional[Sequence[Sequence[Span]]] = None
    ) -> List[Optional[Dict[str, float]]]:
        """``predict``, with None for an empty text."""
        return [s if t else None for s, t in zip(self.predict(texts, spans), texts)]

    @property
    def rewrite(self) -> Optional[Callable[[str], str]]:
        return english_to_chinese if self.config.get("read_english") else None

    @property
    def dev_accuracy(self) -> Optional[float]:
        return self.meta.get("dev_accuracy")
