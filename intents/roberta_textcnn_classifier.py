"""RoBERTa-TextCNN: the sub-intent classifier (what a medical question asks about).

A small BERT-style encoder (3 layers by default; config.yml runs 2, for training time;
RoBERTa-style when pretrained with ``python -m bot pretrain``: masked-LM only, no
next-sentence task, masks drawn anew for every batch) feeds a TextCNN: 1-D convolutions
with kernel sizes 3, 4 and 5 over the token states, max-pooled over time, concatenated,
then a linear layer over the 13 sub-intents.
Why: the sub-intent hangs on short key phrases ("怎么治", "挂什么科", "会传染吗") wherever
they are in the sentence; n-gram filters with max-pooling find exactly that.

Trained on the diagnosis examples (label from ``neural.data.gold_sub_intent``); on messages it
sets ``sub_intent``/``sub_intent_ranking`` for every message (the dialogue reads them
for diagnosis only).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Type

import torch
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from torch import nn
from transformers import BertModel

import neural  # noqa: F401  (first: bounds OpenMP spin-waiting before torch loads)
from core.vocabulary import MEDICAL_INTENT, SUB_INTENTS
from intents import clauses, votes
from neural.classifier import TextClassifierComponent
from neural.data import Example
from neural.encoder import EncoderNetwork
from slots.entity_linker import EntityLinker

MEMBER = "roberta_textcnn"


class RobertaTextCnn(EncoderNetwork):
    """BERT encoder -> Conv1d (kernels 3/4/5) -> max over time -> linear."""

    def __init__(
        self, encoder: BertModel, num_labels: int, kernel_sizes: Sequence[int], filters: int, dropout: float
    ) -> None:
        super().__init__(encoder)
        hidden = encoder.config.hidden_size
        self.kernel_sizes = tuple(kernel_sizes)
        self.convs = nn.ModuleList(nn.Conv1d(hidden, filters, k) for k in self.kernel_sizes)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(filters * len(self.kernel_sizes), num_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        states = self.encode(input_ids, attention_mask)
        states = states * attention_mask.unsqueeze(2).to(states.dtype)  # padding reads as 0
        # One formulation for every case, with no branch on the input (so the ONNX export,
        # traced on one length, is right for all): zeros after the text so even a text shorter
        # than the widest kernel fills one window of each, and only the windows that start
        # inside the text (at least the first) are pooled.
        longest = max(self.kernel_sizes)
        x = nn.functional.pad(states, (0, 0, 0, longest - 1)).transpose(1, 2)  # [B, H, T + longest - 1]
        lengths = attention_mask.sum(1)
        pooled = []
        for k, conv in zip(self.kernel_sizes, self.convs):
            feats = torch.relu(conv(x))  # [B, F, T + longest - k]
            starts = torch.arange(feats.size(2), device=feats.device)
            valid = starts.unsqueeze(0) <= (lengths - k).clamp(min=0).unsqueeze(1)
            pooled.append(feats.masked_fill(~valid.unsqueeze(1), float("-inf")).max(dim=2).values)
        return self.out(self.dropout(torch.cat(pooled, dim=1)))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class RobertaTextCnnClassifier(TextClassifierComponent, votes.VotingMember):
    """Sub-intent (definition, cause, ..., other) from a small BERT-style encoder + TextCNN."""

    LABELS = SUB_INTENTS

    ARCHITECTURE_KEYS = ("kernel_sizes", "filters", "mask_entities", "read_english")

    @classmethod
    def required_components(cls) -> List[Type]:
        # Rasa 3.6 chains only tokenizers/featurizers in the training graph, so a trainable
        # component cannot require an extractor or classifier there: the order contract is
        # ``runs_after`` (checked against config.yml by tests/nlu_components/test_contracts.py).
        return []

    @classmethod
    def runs_after(cls, config: Optional[Dict[str, Any]] = None) -> List[Type]:
        """The components that must come earlier in the pipeline (it reads the linked mentions
        as their type: ``mask_entities``)."""
        return [EntityLinker]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            **TextClassifierComponent.get_default_config(),
            "hidden_size": 256,
            "num_layers": 3,
            "num_heads": 4,
            "intermediate_size": 1024,
            # TextCNN: kernel sizes (characters per window) and filters per kernel size.
            "kernel_sizes": [3, 4, 5],
            "filters": 128,
            # Early stopping on the dev templates picks the epoch count (then refit on all);
            # at this learning rate the dev accuracy jumps between epochs, so wait longer.
            "epochs": 10,
            "learning_rate": 1e-3,
            "patience": 5,
            # Read "[disease]的病因" rather than the name (see TextClassifierComponent).
            "mask_entities": True,
        }

    @classmethod
    def check_config(cls, config: Dict[str, Any]) -> None:
        super().check_config(config)
        kernels = config["kernel_sizes"]
        if not kernels or any(int(k) < 1 for k in kernels) or int(config["filters"]) < 1:
            raise InvalidConfigException(
                f"{cls.__name__}: kernel_sizes must be positive widths and filters "
                f"at least 1, not {kernels!r} / {config['filters']!r}"
            )

    def build_network(self, encoder: BertModel, labels: List[str]) -> RobertaTextCnn:
        return RobertaTextCnn(
            encoder, len(labels), self.config["kernel_sizes"], self.config["filters"], self.config["dropout"]
        )

    def label_of(self, example: Example) -> Optional[str]:
        return example.sub_intent if example.intent == MEDICAL_INTENT else None

    def process(self, messages: List[Message]) -> List[Message]:
        for message, scores in zip(messages, self.predict_messages(messages)):
            if scores is not None:
                votes.set_sub_intent(message, scores)  # complete on its own ...
                votes.record_sub_intent_vote(message, scores, MEMBER, self.dev_accuracy)  # ... and a vote
        if self.ready:  # and each question of a message that asks several
            clauses.record_clause_votes(messages, self.predict, MEMBER)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
