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

At load time the graph is made faster in two steps, each checked against torch:

* **fusion** (always): onnxruntime's transformer fusions replace the exported attention,
  embedding and layer-norm subgraphs with its fused operators (``Attention``,
  ``EmbedLayerNormalization``, ``SkipLayerNormalization``, ``BiasGelu``); same arithmetic,
  within :data:`TOLERANCE` of torch;
* **int8 weights** (``inference_precision: int8``, the default; the environment variable
  ``NLU_INFERENCE_PRECISION=fp32|int8`` overrides it for every component): dynamic quantisation of the
  matrix products' weights (activations are quantised per call). Scores move by a few
  hundredths (checked within :data:`INT8_RELATIVE_TOLERANCE` on the probes; the NLU figures and the
  confidence bands were measured with it, README "Speed"); ``fp32`` keeps full precision.

Together about 1.8x faster per message than the plain export (``python -m bot bench parse``).

Where it lives: ``persist`` writes ``network.onnx`` (fp32, unfused) next to ``weights.pt``
in the trained model, so a server needs only onnxruntime and switching the precision needs
no retraining; a model without the file (trained before) is exported in memory when it is
loaded.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import onnx
import torch

logger = logging.getLogger(__name__)

ONNX_FILE = "network.onnx"
OPSET = 17
TOLERANCE = 1e-4  # largest absolute difference to eager torch accepted on the probes
# An int8 graph's outputs (logits, emissions) may move by this share of the largest output on
# a probe (the trained models: at most 3.4%): a check that the quantised graph is the same
# network, which a broken graph fails by far; how much the scores move on real questions is
# measured by ``python -m bot eval nlu`` (README "Speed").
INT8_RELATIVE_TOLERANCE = 0.1
PRECISIONS = ("int8", "fp32")
ENV_PRECISION = "NLU_INFERENCE_PRECISION"  # overrides every component's ``inference_precision``


def precision_setting(configured: str) -> str:
    """``NLU_INFERENCE_PRECISION`` when set to a known precision, else the component's setting."""
    raw = os.environ.get(ENV_PRECISION, "").strip().lower()
    if not raw:
        return configured
    if raw not in PRECISIONS:
        logger.warning("%s=%r is not one of %s; using %s", ENV_PRECISION, raw, PRECISIONS, configured)
        return configured
    return raw


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


def fuse(model: bytes, num_heads: int, hidden_size: int) -> bytes:
    """``model`` with onnxruntime's BERT fusions applied (attention, layer norms, GELU)."""
    from onnxruntime.transformers.optimizer import optimize_model

    proto = onnx.load_from_string(model)
    with (
        tempfile.TemporaryDirectory(prefix="onnx-fused-") as folder,
        warnings.catch_warnings(),
        _quiet("onnxruntime.transformers"),
    ):
        warnings.simplefilter("ignore")
        fused = optimize_model(
            proto, model_type="bert", num_heads=num_heads, hidden_size=hidden_size, opt_level=0
        )
        target = Path(folder) / ONNX_FILE
        fused.save_model_to_file(str(target))  # sorts the nodes and declares onnxruntime's domain
        return target.read_bytes()


def quantise(model: bytes) -> bytes:
    """``model`` with int8 weights for its matrix products (dynamic quantisation)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="onnx-int8-") as folder, _quiet("onnxruntime.quantization"):
        source, target = Path(folder) / "fp32.onnx", Path(folder) / "int8.onnx"
        source.write_bytes(model)
        quantize_dynamic(
            source,
            target,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul", "Attention"],
            # the fused operators are in onnxruntime's domain, which shape inference skips
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        return target.read_bytes()


class _BelowErrorFrom(logging.Filter):
    """Drops records under ERROR logged from files under ``folder`` (a library's own notes)."""

    def __init__(self, folder: str) -> None:
        super().__init__()
        self.folder = folder

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or self.folder not in record.pathname


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Silence a library's notes below ERROR while it runs: those of its logger ``name`` and
    those it writes through the root logger (the quantiser's advice to pre-process)."""
    log = logging.getLogger(name)
    level = log.level
    log.setLevel(logging.ERROR)
    notes = _BelowErrorFrom(name.replace(".", os.sep))
    logging.getLogger().addFilter(notes)
    try:
        yield
    finally:
        log.setLevel(level)
        logging.getLogger().removeFilter(notes)


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
        self.steps: Tuple[str, ...] = ()  # the load-time steps this graph went through (fusion, int8 weights)

    def __call__(self, input_ids: torch.Tensor) -> Union[torch.Tensor, Tuple[torch.Tensor, ...]]:
        tensors = tuple(torch.from_numpy(np.asarray(out)) for out in self.run(input_ids.numpy()))
        return tensors[0] if len(tensors) == 1 else tensors

    def run(self, input_ids: np.ndarray) -> List[np.ndarray]:
        """The graph's outputs for ``[batch, time]`` int64 ids, as NumPy arrays (no torch: the
        serving path of one message, where each torch operator's dispatch costs more than
        its arithmetic)."""
        return self.session.run(None, {self.input_name: input_ids})

    def verify(
        self, network: torch.nn.Module, max_length: int, tolerance: float = TOLERANCE, relative: float = 0.0
    ) -> None:
        """``ValueError`` unless the session matches eager torch on every probe, within
        ``tolerance`` plus ``relative`` times the largest absolute output."""
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
                scale = float(e.abs().max()) if e.is_floating_point() and e.numel() else 0.0
                atol = tolerance + relative * scale
                if e.shape != g.shape or not torch.allclose(e.to(g.dtype), g, atol=atol):
                    raise ValueError(f"ONNX graph disagrees with torch on a {ids.size(1)}-token probe")


def session_for(
    network: torch.nn.Module,
    max_length: int,
    onnx_model: Optional[bytes] = None,
    threads: int = 0,
    precision: str = "int8",
) -> Optional[OnnxNetwork]:
    """A verified session of ``onnx_model`` (None: exported now), fused and, for ``int8``,
    quantised; None if even the plain graph fails (torch is used).

    The graph of every step is made first, and only the furthest one gets a session (each
    onnxruntime session holds its own memory: one per encoder instead of three keeps about 50 MB off the server).
    A step that fails, or a graph that does not verify against torch, is skipped with a
    warning and the graph of the step before is tried.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"inference_precision must be one of {PRECISIONS}, not {precision!r}")
    name = type(network).__name__
    try:
        if onnx_model is None:
            onnx_model = export(network, max_length)
    except Exception as exc:  # an optimisation only: eager torch gives the same scores
        logger.warning("%s: ONNX inference unavailable (%s); using torch", name, exc)
        return None

    def fused(model: bytes) -> bytes:
        encoder: Any = network.encoder  # an EncoderNetwork's BERT (read here: a failure skips the step)
        config = encoder.config
        return fuse(model, int(config.num_attention_heads), int(config.hidden_size))

    steps: List[Tuple[str, Callable[[bytes], bytes], float, float]] = [("fusion", fused, TOLERANCE, 0.0)]
    if precision == "int8":
        steps.append(("int8 weights", quantise, 0.0, INT8_RELATIVE_TOLERANCE))
    # (steps applied, graph, tolerance, relative tolerance) from the plain export on
    graphs: List[Tuple[Tuple[str, ...], bytes, float, float]] = [((), onnx_model, TOLERANCE, 0.0)]
    for step, transform, tolerance, relative in steps:
        try:
            graphs.append((graphs[-1][0] + (step,), transform(graphs[-1][1]), tolerance, relative))
        except Exception as exc:  # keep the graphs made so far
            logger.warning("%s: ONNX %s not applied (%s)", name, step, exc)
            break
    for applied, model, tolerance, relative in reversed(graphs):
        try:
            runner = OnnxNetwork(model, threads)
            runner.verify(network, max_length, tolerance, relative)
        except Exception as exc:
            if applied:
                logger.warning("%s: ONNX %s not applied (%s)", name, applied[-1], exc)
                continue
            logger.warning("%s: ONNX inference unavailable (%s); using torch", name, exc)
            return None
        runner.steps = applied
        logger.debug("%s: ONNX graph with %s", name, ", ".join(applied) or "no load-time steps")
        return runner
    return None
