"""TinyBERT-RNN: the neural member of the main-intent ensemble.

A small BERT (TinyBERT's shape by default: 4 layers, hidden 312, 12 heads, intermediate 1200;
config.yml keeps the width and runs 2 layers, for training and inference time) reads
the message character by character; a bidirectional RNN (LSTM by default, GRU by
config: the LSTM has the faster CPU kernel) runs over its token states and the
concatenated final forward/backward states go through a linear layer over the main
intents. Why: the transformer gives context for every character, the RNN turns the
sequence into one sentence vector that respects word order (better than [CLS] alone
when training from scratch on a few thousand sentences).

It sets ``intent``/``intent_ranking`` and records its vote (weighted by its dev accuracy,
measured at training time) for ``intents.ensemble_voter.EnsembleVoter``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Type

import torch
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from torch import nn
from transformers import BertModel

import neural  # noqa: F401  (first: bounds OpenMP spin-waiting before torch loads)
from core.vocabulary import MAIN_INTENTS
from intents import votes
from neural import config_checks as checks
from neural.classifier import TextClassifierComponent
from neural.data import Example
from neural.encoder import EncoderNetwork

MEMBER = "tinybert_rnn"
RNN_KINDS = {"gru": nn.GRU, "lstm": nn.LSTM}


class TinyBertRnn(EncoderNetwork):
    """BERT encoder -> bidirectional GRU/LSTM -> final states -> linear."""

    def __init__(
        self, encoder: BertModel, num_labels: int, rnn_hidden: int, rnn: str, dropout: float
    ) -> None:
        super().__init__(encoder)
        rnn_class = RNN_KINDS[rnn]
        self.rnn = rnn_class(encoder.config.hidden_size, rnn_hidden, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(2 * rnn_hidden, num_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        states = self.encode(input_ids, attention_mask)
        if bool(attention_mask.all()):
            _, final = self.rnn(states)
        else:  # padded batch: pack so the backward direction starts at each text's end
            lengths = attention_mask.sum(1).cpu()
            packed = nn.utils.rnn.pack_padded_sequence(
                states, lengths, batch_first=True, enforce_sorted=False
            )
            _, final = self.rnn(packed)
        hidden = final[0] if isinstance(final, tuple) else final  # LSTM: (h, c)
        sentence = torch.cat([hidden[0], hidden[1]], dim=1)  # forward, backward
        return self.out(self.dropout(sentence))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TinyBertRnnClassifier(TextClassifierComponent, votes.VotingMember):
    """Main intent (greet goodbye isbot accept deny diagnosis) from TinyBERT + BiLSTM/BiGRU."""

    LABELS = MAIN_INTENTS

    ARCHITECTURE_KEYS = ("rnn", "rnn_hidden", "mask_entities", "read_english")

    @classmethod
    def required_components(cls) -> List[Type]:
        # Rasa 3.6 chains only tokenizers/featurizers in the training graph, so a trainable
        # component cannot require an extractor or classifier there: the order contract is
        # ``runs_after`` (checked against config.yml by tests/nlu_components/test_contracts.py).
        return []

    @classmethod
    def runs_after(cls, config: Optional[Dict[str, Any]] = None) -> List[Type]:
        """The components that must come earlier in the pipeline (none: it reads the text; with
        ``mask_entities``, the EntityLinker)."""
        from slots.entity_linker import EntityLinker

        return [EntityLinker] if (config or {}).get("mask_entities") else []

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            **TextClassifierComponent.get_default_config(),
            # TinyBERT-4L-312 shape.
            "hidden_size": 312,
            "num_layers": 4,
            "num_heads": 12,
            "intermediate_size": 1200,
            # The RNN over the token states: "lstm" or "gru", units per direction.
            "rnn": "lstm",
            "rnn_hidden": 128,
            "epochs": 4,
            # ~4.7k diagnosis vs ~230 per small-talk intent: draw 1200 diagnosis per epoch.
            "max_per_label": 1200,
        }

    @classmethod
    def check_config(cls, config: Dict[str, Any]) -> None:
        super().check_config(config)
        if config["rnn"] not in RNN_KINDS:
            raise InvalidConfigException(
                f"{cls.__name__}: rnn must be one of {sorted(RNN_KINDS)}, not {config['rnn']!r}"
            )
        checks.at_least_one(config, cls.__name__, "rnn_hidden")

    def build_network(self, encoder: BertModel, labels: List[str]) -> TinyBertRnn:
        return TinyBertRnn(
            encoder, len(labels), self.config["rnn_hidden"], self.config["rnn"], self.config["dropout"]
        )

    def label_of(self, example: Example) -> Optional[str]:
        return example.intent

    def process(self, messages: List[Message]) -> List[Message]:
        for message, scores in zip(messages, self.predict_messages(messages)):
            if scores is not None:
                votes.set_intent(message, scores, MEMBER, weight=self.dev_accuracy)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
