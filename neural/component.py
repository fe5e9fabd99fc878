"""Rasa plumbing shared by the neural components: build, persist, load, infer.

A component subclasses ``NeuralComponent``, adds its own config keys and implements
``build_network`` (encoder -> its head) plus ``train``/``process``. This class owns what
is the same for all of them:

* the character tokenizer: built from the training texts, or read from
  ``model_name_or_path`` (a ``python -m bot pretrain`` folder or a hub id);
* the encoder: ``neural.encoder.build_encoder`` (fresh or pretrained);
* persistence in Rasa's model storage: ``vocab.txt``, ``encoder.json`` (the BertConfig),
  ``weights.pt`` (the whole network's state dict), ``network.onnx`` and ``meta.json`` (labels, dev scores),
  so a trained model is self-contained and never reads the checkpoint again;
* inference: eval mode, an onnxruntime session of the trained network
  (``neural/onnx_inference.py``, written as ``network.onnx`` at persist time) and an
  optional thread count.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import random
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from transformers import BertModel

from neural import config_checks as checks
from neural import encoder as encoders
from neural import onnx_inference
from neural import text as chars
from neural.data import Augmenter, Example, Span, check_dev_split, dev_split, dev_split_defaults
from neural.encoder import EncoderNetwork
from neural.training import set_seed

logger = logging.getLogger(__name__)

NEURAL_DIR = Path(__file__).resolve().parent


class NeuralComponent(GraphComponent):
    """Base class of the neural NLU components (not registered itself)."""

    # Config keys that shape the network or its input; persisted with the model and
    # used again at load time, so a model keeps working if the defaults change later.
    ARCHITECTURE_KEYS: Tuple[str, ...] = ()

    # How a text longer than ``max_length`` is cut (see ``CharTokenizer.encode``): taggers
    # keep the head (tokens stay aligned with characters), classifiers keep the end too.
    KEEP_TAIL: bool = False

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # Local checkpoint folder or hub id (BertModel + BertTokenizerFast); None: from scratch.
            "model_name_or_path": None,
            # Tokens per message including [CLS] and [SEP]; longer messages are cut.
            "max_length": 64,
            # Encoder sizes when training from scratch (a checkpoint brings its own;
            # num_layers also cuts a deeper checkpoint).
            "hidden_size": 312,
            "num_layers": 4,
            "num_heads": 12,
            "intermediate_size": 1200,
            "dropout": 0.1,
            # Optimisation.
            "epochs": 10,
            "batch_size": 32,
            "learning_rate": 5e-4,
            "weight_decay": 0.01,
            # Early stopping: epochs without a better dev score before stopping.
            "patience": 3,
            # The shared dev split (core.vocabulary: one setting for every voting member);
            # ``seed`` also seeds the weights and the batches.
            **dev_split_defaults(),
            # Training-only augmentation: chance to swap an entity mention for another /
            # an invented name / a misspelt one, and to hide a character as [UNK].
            "swap_prob": 0.5,
            "splice_prob": 0.2,
            "typo_prob": 0.1,
            # Chance to write part of the question in toneless pinyin ("怎么治" -> "zenme zhi").
            "pinyin_prob": 0.0,
            "char_dropout": 0.05,
            # Threads per message at inference: the onnxruntime session's (0: one) and, when set,
            # torch's (the eager fallback, the CRF's decoding).
            "inference_threads": 0,
            # Weights of the onnxruntime graph at inference: int8 (dynamic quantisation, about
            # 1.5x faster; NLU figures within noise, README "Speed") or fp32. Applied at load:
            # the trained model keeps the fp32 graph, so switching needs no retraining.
            "inference_precision": "int8",
        }

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        tokenizer: Optional[chars.CharTokenizer] = None,
        network: Optional[EncoderNetwork] = None,
        meta: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self.check_config(self.config)
        self._storage, self._resource = model_storage, resource
        self.tokenizer = tokenizer
        self.network = network
        self.meta: Dict[str, Any] = meta or {}

    @classmethod
    def check_config(cls, config: Dict[str, Any]) -> None:
        """``InvalidConfigException`` for settings no network can be trained with."""
        name = cls.__name__
        check_dev_split(config, name)
        checks.unit_interval(
            config, name, "swap_prob", "splice_prob", "typo_prob", "pinyin_prob", "char_dropout", "dropout"
        )
        checks.at_least_one(config, name, "max_length", "epochs", "batch_size")
        checks.not_negative(config, name, "learning_rate", "weight_decay", "patience", "inference_threads")
        checks.known(name, "inference_precision", [config["inference_precision"]], onnx_inference.PRECISIONS)

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> NeuralComponent:
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """Retrain when the component's code, the shared code or the checkpoint changes."""
        digest = hashlib.sha256()
        sources = [Path(inspect.getfile(cls))] + sorted(NEURAL_DIR.glob("*.py"))
        for path in sources:
            digest.update(path.read_bytes())
        checkpoint = config.get("model_name_or_path")
        folder = encoders.local_checkpoint(checkpoint) if checkpoint else None
        for path in sorted(folder.iterdir()) if folder else ():
            stat = path.stat()
            digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        return digest.hexdigest()

    # ------------------------------------------------------------------ subclass hooks
    def build_network(self, encoder: BertModel, labels: List[str]) -> EncoderNetwork:
        """The component's network around ``encoder``, predicting ``labels``."""
        raise NotImplementedError

    def _trained_tokenizer(self) -> chars.CharTokenizer:
        """``self.tokenizer``, set by ``prepare`` (training) or ``load``."""
        if self.tokenizer is None:
            raise RuntimeError(f"{type(self).__name__}: no tokenizer; train or load the component first")
        return self.tokenizer

    def _trained_network(self) -> EncoderNetwork:
        """``self.network``, set by ``prepare`` (training) or ``load``."""
        if self.network is None:
            raise RuntimeError(f"{type(self).__name__}: no network; train or load the component first")
        return self.network

    @property
    def labels(self) -> List[str]:
        return list(self.meta.get("labels", []))

    # ------------------------------------------------------------------ training helpers
    def split(self, examples: Sequence[Example]):
        """``(train, dev)`` with the shared deterministic template split."""
        return dev_split(examples, self.config["dev_fraction"], self.config["seed"])

    def augmenter(self, examples: Sequence[Example]) -> Augmenter:
        return Augmenter(
            examples,
            self.config["swap_prob"],
            self.config["splice_prob"],
            self.config["typo_prob"],
            self.config["pinyin_prob"],
        )

    def prepare(self, texts: Sequence[str], labels: List[str]) -> None:
        """Tokenizer and network for training: from scratch over ``texts`` or pretrained."""
        # Seed before the weights are drawn: Rasa may train the components in any order,
        # so the global RNG state at this point differs from run to run otherwise.
        set_seed(self.config["seed"])
        path, max_length = self.config.get("model_name_or_path"), self.config["max_length"]
        if path:
            path = encoders.resolve_checkpoint(path)
            self.config = {**self.config, "model_name_or_path": path}
            self.tokenizer = chars.CharTokenizer.from_pretrained(path, max_length)
        else:
            self.tokenizer = chars.CharTokenizer.build(texts, max_length)
        encoder = encoders.build_encoder(self.config, len(self.tokenizer), max_length)
        self.tokenizer.max_length = min(max_length, encoder.config.max_position_embeddings)
        self.meta = {
            "labels": list(labels),
            "pretrained": path or None,
            "architecture": {key: self.config[key] for key in self.ARCHITECTURE_KEYS},
        }
        self.network = self.build_network(encoder, list(labels))

    def encode(self, text: str, spans: Optional[Sequence[Span]] = None) -> List[int]:
        """``[CLS] chars [SEP]`` ids as this component reads text (cut and rewritten its way)."""
        return self._trained_tokenizer().encode(text, spans, keep_tail=self.KEEP_TAIL, rewrite=self.rewrite)

    def token_ids(
        self, text: str, rng: Optional[random.Random] = None, spans: Optional[Sequence[Span]] = None
    ) -> List[int]:
        """``[CLS] chars [SEP]`` ids (``spans`` become entity-type tokens); with ``rng``
        (training) some characters become [UNK]."""
        ids = self.encode(text, spans)
        p = self.config["char_dropout"]
        if rng is not None and p > 0:
            tokenizer = self._trained_tokenizer()
            unk, special = tokenizer.unk_id, tokenizer.special_ids
            ids = (
                [ids[0]]
                + [unk if i not in special and rng.random() < p else i for i in ids[1:-1]]
                + [ids[-1]]
            )
        return ids

    # ------------------------------------------------------------------ persistence
    def persist(self) -> None:
        tokenizer, network = self._trained_tokenizer(), self._trained_network()
        with self._storage.write_to(self._resource) as directory:
            tokenizer.save(directory)
            encoder = network.encoder
            (directory / "encoder.json").write_text(encoder.config.to_json_string(), encoding="utf-8")
            torch.save(network.state_dict(), directory / "weights.pt")
            (directory / onnx_inference.ONNX_FILE).write_bytes(
                onnx_inference.export(network, tokenizer.max_length)
            )
            meta = {**self.meta, "max_length": tokenizer.max_length}
            (directory / "meta.json").write_text(
                json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8"
            )

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> NeuralComponent:
        try:
            with model_storage.read_from(resource) as directory:
                meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
                tokenizer = chars.CharTokenizer.load(directory, meta["max_length"])
                bert_config = json.loads((directory / "encoder.json").read_text(encoding="utf-8"))
                state = torch.load(directory / "weights.pt", map_location="cpu", weights_only=True)
                network_file = directory / onnx_inference.ONNX_FILE
                onnx_model = network_file.read_bytes() if network_file.is_file() else None
        except (ValueError, FileNotFoundError):
            logger.warning("%s: no trained model found, it will not predict anything", cls.__name__)
            return cls(config, model_storage, resource)
        config = {**config, **meta.get("architecture", {})}
        component = cls(config, model_storage, resource, tokenizer, meta=meta)
        network = component.build_network(encoders.encoder_from_config(bert_config), meta["labels"])
        network.load_state_dict(state)
        threads = int(config.get("inference_threads") or 0)
        if threads:
            torch.set_num_threads(threads)
        component.network = network.prepare_inference(
            tokenizer.max_length,
            onnx_model,
            threads,
            onnx_inference.precision_setting(component.config["inference_precision"]),
        )
        return component

    @property
    def rewrite(self) -> Optional[Callable[[str], str]]:
        """Applied to the text outside entity mentions before tokenising (None: as is)."""
        return None

    @property
    def ready(self) -> bool:
        return self.network is not None and self.tokenizer is not None
