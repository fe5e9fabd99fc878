"""One BERT encoder builder for every neural component.

From scratch the encoder is a ``transformers.BertModel`` built from a small ``BertConfig``
(sizes from the component config); with ``model_name_or_path`` it is
``BertModel.from_pretrained`` (a local folder written by ``python -m bot pretrain`` or
a hub id), optionally cut to the component's number of layers. Either way the
component persists the resulting ``BertConfig`` and weights, so a trained model never
needs the checkpoint again.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np
import torch
from transformers import BertConfig, BertModel

from core.paths import PROJECT_ROOT
from neural.onnx_inference import OnnxNetwork, session_for

logger = logging.getLogger(__name__)

ATTENTION = "sdpa"  # PyTorch's fused scaled-dot-product attention (also BertModel's default)


class CheckpointNotFoundError(ValueError):
    """``model_name_or_path`` names neither a local checkpoint folder nor a reachable hub model."""


def local_checkpoint(path: str) -> Optional[Path]:
    """The checkpoint folder ``path`` names, as given or relative to the project root."""
    for candidate in (Path(path), PROJECT_ROOT / path):
        if candidate.is_dir():
            return candidate
    return None


def resolve_checkpoint(path: str) -> str:
    """``path`` as a local folder (as given, or relative to the project root), else as a hub id.

    A relative path like ``models/pretrained`` works from any working directory. A name
    that is not a local folder is tried as a hub id; when that fails too (no such model,
    or no network, as on the hospital's servers) the error says how to make the folder.
    """
    folder = local_checkpoint(path)
    if folder is not None:
        return str(folder)
    advice = (
        f"Write it with `python -m bot pretrain --out {path}` (`make pretrain`), or remove "
        f"model_name_or_path from config.yml to train from scratch."
    )
    if Path(path).is_absolute() or path.startswith("."):  # a path, never a hub id
        raise CheckpointNotFoundError(f"model_name_or_path {path!r}: no such folder. {advice}")
    try:
        BertConfig.from_pretrained(path)
    except OSError as exc:
        raise CheckpointNotFoundError(
            f"model_name_or_path {path!r} is not a local checkpoint folder and could not be "
            f"loaded as a hub model ({exc.__class__.__name__}). {advice}"
        ) from exc
    return path


def scratch_config(vocab_size: int, config: Dict[str, Any], max_length: int) -> BertConfig:
    """The ``BertConfig`` for a randomly initialised encoder with the component's sizes."""
    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=config["hidden_size"],
        num_hidden_layers=config["num_layers"],
        num_attention_heads=config["num_heads"],
        intermediate_size=config["intermediate_size"],
        hidden_dropout_prob=config["dropout"],
        attention_probs_dropout_prob=config["dropout"],
        max_position_embeddings=max_length,
        type_vocab_size=1,
        pad_token_id=0,
    )


def build_encoder(config: Dict[str, Any], vocab_size: int, max_length: int) -> BertModel:
    """A fresh encoder (``model_name_or_path`` unset) or a pretrained one.

    A pretrained checkpoint keeps its own sizes, except that it is cut to the component's
    ``num_layers`` when that is smaller (the lower layers are the general-purpose ones).
    """
    path: Optional[str] = config.get("model_name_or_path")
    if not path:
        return BertModel(scratch_config(vocab_size, config, max_length), add_pooling_layer=False)
    pretrained = BertConfig.from_pretrained(path)
    layers = min(pretrained.num_hidden_layers, config["num_layers"] or pretrained.num_hidden_layers)
    transformers_logger = logging.getLogger("transformers.modeling_utils")
    level = transformers_logger.level
    transformers_logger.setLevel(logging.ERROR)  # "weights of the dropped layers not used"
    try:
        encoder = BertModel.from_pretrained(
            path,
            add_pooling_layer=False,
            num_hidden_layers=layers,
            attn_implementation=ATTENTION,
            hidden_dropout_prob=config["dropout"],
            attention_probs_dropout_prob=config["dropout"],
        )
    finally:
        transformers_logger.setLevel(level)
    if encoder.config.vocab_size != vocab_size:
        raise ValueError(
            f"{path}: encoder has {encoder.config.vocab_size} token embeddings "
            f"but its vocab.txt has {vocab_size} tokens"
        )
    return encoder


def encoder_from_config(bert_config: Dict[str, Any]) -> BertModel:
    """An encoder with the architecture of a persisted ``BertConfig`` (weights loaded later)."""
    return BertModel(BertConfig.from_dict(bert_config), add_pooling_layer=False)


class EncoderNetwork(torch.nn.Module):
    """Base of the components' networks: a BERT ``encoder`` plus a lean inference path.

    ``encode`` leaves the attention mask out when nothing is padded (always the case for
    one message at inference): BERT then skips building the 4-D mask. ``prepare_inference``
    (called once when a trained model is loaded) adds an onnxruntime session of the whole
    network for that unpadded case (``neural/onnx_inference.py``), checked against torch;
    ``infer`` uses it when it can and the eager network otherwise.
    """

    encoder: BertModel
    _onnx: Optional[OnnxNetwork]  # kept in __dict__, see __init__

    def __init__(self, encoder: BertModel) -> None:
        super().__init__()
        self.encoder = encoder
        self.__dict__["_onnx"] = None  # not a submodule: never part of the state dict

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Token states ``[batch, time, hidden]``."""
        if not bool(attention_mask.all()):
            return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.encoder(input_ids=input_ids).last_hidden_state

    def infer(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Any:
        """``self(input_ids, attention_mask)`` at inference: through onnxruntime when unpadded."""
        if self._onnx is not None and bool(attention_mask.all()):
            return self._onnx(input_ids)
        if self.training:  # eval() walks every submodule: only when needed
            self.eval()
        with torch.inference_mode():
            return self(input_ids, attention_mask)

    def infer_unpadded(self, ids: Sequence[int]) -> Tuple[np.ndarray, ...]:
        """The network's outputs for one unpadded id sequence, as NumPy arrays with a batch
        dimension of 1: the serving path of a message (onnxruntime without any torch
        operator around it; eager torch when there is no session)."""
        if self._onnx is not None:
            return tuple(self._onnx.run(np.asarray([ids], dtype=np.int64)))
        input_ids = torch.tensor([list(ids)], dtype=torch.long)
        out = self.infer(input_ids, torch.ones_like(input_ids))
        return tuple(t.numpy() for t in (out if isinstance(out, tuple) else (out,)))

    def prepare_inference(
        self, max_length: int, onnx_model: Optional[bytes] = None, threads: int = 0, precision: str = "int8"
    ) -> EncoderNetwork:
        """Eval mode and the onnxruntime session (of the persisted ``onnx_model``, else exported
        now; fused, and with int8 weights unless ``precision`` is ``fp32``)."""
        self.eval()
        self.__dict__["_onnx"] = session_for(self, max_length, onnx_model, threads, precision)
        return self

    @property
    def uses_onnx(self) -> bool:
        return self._onnx is not None
