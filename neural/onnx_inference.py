"""ONNX export of a trained network and its onnxruntime session for one-message inference.

Why: at inference the three encoders are most of a parse, and a parse is on every turn.
onnxruntime runs the same graph with fused operators (attention, layer norm, GELU) and
without torch's per-operator Python dispatch, in about half the time of eager torch on
this CPU (``python -m bot bench parse``). Torch stays for training; TorchScript tracing,
used before, is deprecated upstream.

The exported graph is the network's unpadded path: ``input_ids [batch, time] ->`` the
same outputs as ``network(input_ids, all-ones mask)`` (logits for a classifier,
``(emissions, char_mask)`` for the tagger). That is the case of one message at a time,
which is how Rasa's graph calls us when serving; padded batches (training, evaluation on
a whole test split) keep the eager torch path. Every session is checked against torch on
probe inputs when it is made (``verify``); a graph that disagrees is never used.

Where it lives: ``persist`` writes ``network.onnx`` next to ``weights.pt`` in the trained
model, so a server needs only onnxruntime; a model without the file (trained before)
is exported in memory when it is loaded.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np
import torch

logger = logging.getLogger(__name__)

ONNX_FILE = "network.onnx"
OPSET = 17
TOLERANCE = 1e-4  # largest absolute difference to eager torch accepted on the probes


class _Unpadded(torch.nn.Module):
    """``input_ids -> network(input_ids, ones)``: the graph that is exported."""

    def __init__(self, network: torch.nn.Module) -> None:
        super().__init__()
        self.network = network

    def forward(self, input_ids: torch.Tensor) -> Any:
        return self.network(input_ids, torch.ones_like(input_ids))


def probes(vocab_size: int, max_length: int) -> Sequence[torch.Tensor]:
    """Inputs the export and the check use: lengths from one character to ``max_length``."""
    lengths = sorted({min(n, max_length) for n in (3, 9, 16, max_length)})
    return [torch.arange(5, 5 + n).remainder(vocab_size).unsqueeze(0) for n in lengths]


def _vocab_size(network: Any) -> int:
    """Token ids the network's encoder embeds (an ``EncoderNetwork``: ``network.encoder``)."""
    return int(network.encoder.config.vocab_size)


def export(network: torch.nn.Module, max_length: int) -> bytes:
    """The network's unpadded inference graph (eval mode) as a serialised ONNX model."""
    was_training = network.training
    network.eval()
    example = probes(_vocab_size(network), max_length)[-1]
    with (
        tempfile.TemporaryDirectory(prefix="onnx-export-") as folder,
        warnings.catch_warnings(),
        torch.no_grad(),
    ):
        target = Path(folder) / ONNX_FILE
        warnings.simplefilter("ignore")  # tracer warnings about the Python branches taken
        torch.onnx.export(
            _Unpadded(network),
            (example,),
            target,
            input_names=["input_ids"],
            dynamic_axes={"input_ids": {0: "batch", 1: "time"}},
            opset_version=OPSET,
            dynamo=False,  # the dynamo exporter needs onnxscript and a newer protobuf than Rasa's
        )
        model = target.read_bytes()
    network.train(was_training)
    return model


class OnnxNetwork:
    """An onnxruntime session that answers like the network's unpadded path."""

    def __init__(self, model: bytes, threads: int = 0) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.inter_op_num_threads = 1
        # One thread by default: a message is too small to share between cores (two threads
        # measured no faster, and slower when the action server or another request needs the
        # second core); the server's parallelism comes from concurrent requests instead.
        options.intra_op_num_threads = int(threads) or 1
        # Idle pool threads sleep instead of spinning: the Rasa server shares the cores with
        # the action server and with other requests (see neural/__init__.py for torch's).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name

    def __call__(self, input_ids: torch.Tensor) -> Union[torch.Tensor, Tuple[torch.Tensor, ...]]:
        outputs = self.session.run(None, {self.input_name: input_ids.numpy()})
        tensors = tuple(torch.from_numpy(np.asarray(out)) for out in outputs)
        return tensors[0] if len(tensors) == 1 else tensors

    def verify(self, network: torch.nn.Module, max_length: int) -> None:
        """``ValueError`` unless the session matches eager torch on every probe."""
        network.eval()
        for ids in probes(_vocab_size(network), max_length):
            with torch.inference_mode():
                eager = network(ids, torch.ones_like(ids))
            got = self(ids)
            eager_t = eager if isinstance(eager, tuple) else (eager,)
            got_t = got if isinstance(got, tuple) else (got,)
            if len(eager_t) != len(got_t):
                raise ValueError("ONNX graph has a different number of outputs than the network")
            for e, g in zip(eager_t, got_t):
                if e.shape != g.shape or not torch.allclose(e.to(g.dtype), g, atol=TOLERANCE):
                    raise ValueError(f"ONNX graph disagrees with torch on a {ids.size(1)}-token probe")


def session_for(
    network: torch.nn.Module, max_length: int, onnx_model: Optional[bytes] = None, threads: int = 0
) -> Optional[OnnxNetwork]:
    """A verified session of ``onnx_model`` (None: exported now); None if that fails (torch is used)."""
    try:
        if onnx_model is None:
            onnx_model = export(network, max_length)
        runner = OnnxNetwork(onnx_model, threads)
        runner.verify(network, max_length)
        return runner
    except Exception as exc:  # an optimisation only: eager torch gives the same scores
        logger.warning("%s: ONNX inference unavailable (%s); using torch", type(network).__name__, exc)
        return None
