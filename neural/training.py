"""Seeding and the one training loop every neural component uses.

``fit`` runs mini-batch AdamW with linear warm-up/decay and gradient clipping, shows a
tqdm progress bar (one tick per batch, loss and dev score in the postfix), evaluates on
the dev split after every epoch, stops early when the dev score has not improved for
``patience`` epochs and leaves the model with the weights of its best epoch.
"""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from tqdm.auto import tqdm

logger = logging.getLogger(__name__)

Score = Tuple[float, ...]  # compared lexicographically, higher is better


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU) so training runs are repeatable."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


@dataclass
class FitResult:
    best_score: Optional[Score]
    best_epoch: int
    epochs_run: int
    seconds: float


def _param_groups(model: torch.nn.Module, weight_decay: float) -> List[Dict[str, Any]]:
    decay: List[torch.nn.Parameter] = []
    no_decay: List[torch.nn.Parameter] = []
    for name, param in model.named_parameters():
        if param.requires_grad:
            (no_decay if param.ndim < 2 or "LayerNorm" in name else decay).append(param)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def batches(
    items: Sequence[Any],
    batch_size: int,
    rng: random.Random,
    length: Optional[Callable[[Any], int]] = None,
    pool: int = 50,
) -> List[List[Any]]:
    """Shuffled mini-batches; with ``length``, items of similar length share a batch.

    Length bucketing (sort within pools of ``pool`` batches, then shuffle the batches)
    cuts padding, which is most of the cost of short chit-chat next to long questions.
    """
    order = list(items)
    rng.shuffle(order)
    if length is not None:
        span = batch_size * pool
        order = [x for i in range(0, len(order), span) for x in sorted(order[i : i + span], key=length)]
    out = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(out)
    return out


def fit(
    model: torch.nn.Module,
    items: Union[Sequence[Any], Callable[[random.Random], Sequence[Any]]],
    make_batch: Callable[[Sequence[Any], random.Random], Any],
    loss_fn: Callable[[torch.nn.Module, Any], torch.Tensor],
    evaluate: Optional[Callable[[torch.nn.Module], Score]] = None,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    weight_decay: float = 0.01,
    patience: int = 2,
    warmup_fraction: float = 0.1,
    max_grad_norm: float = 1.0,
    length: Optional[Callable[[Any], int]] = None,
    seed: int = 42,
    desc: str = "training",
) -> FitResult:
    """Train ``model`` on ``items``; return the best dev score and when it was reached.

    ``items`` is a list, or a function ``rng -> list`` called once per epoch (to resample
    the data each epoch; it must always return the same number of items).
    ``make_batch(chunk, rng)`` turns a list of items into model inputs (augmenting with
    ``rng`` if it wants to), ``loss_fn(model, batch)`` returns the mean loss, and
    ``evaluate(model)`` (run in eval mode without gradients) scores the dev split.
    ``length(item)`` enables length-bucketed batches.
    """
    set_seed(seed)
    rng = random.Random(seed)
    draw = items if callable(items) else (lambda _rng: items)
    epoch_items = draw(rng)
    if not epoch_items:
        raise ValueError(f"{desc}: no training examples")
    # foreach: the update of all parameters as a few multi-tensor operators instead of a
    # Python loop of small operators per parameter (the same arithmetic; torch picks it only
    # on GPUs by default): 9.5 ms instead of 13 ms per step for the NER's encoder on this CPU.
    optimizer = torch.optim.AdamW(_param_groups(model, weight_decay), lr=learning_rate, foreach=True)
    steps_per_epoch = math.ceil(len(epoch_items) / batch_size)
    total = max(1, epochs * steps_per_epoch)
    warmup = max(1, int(total * warmup_fraction))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup)))
    )
    best_score: Optional[Score] = None
    best_state: Optional[Dict[str, torch.Tensor]] = None
    best_epoch, epoch, started = 0, 0, time.perf_counter()
    with tqdm(total=total, desc=desc, unit="batch", mininterval=1.0, dynamic_ncols=True) as bar:
        for epoch in range(1, epochs + 1):
            model.train()
            if epoch > 1:
                epoch_items = draw(rng)
            running = 0.0
            for step, chunk in enumerate(batches(epoch_items, batch_size, rng, length)):
                loss = loss_fn(model, make_batch(chunk, rng))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
                optimizer.step()
                scheduler.step()
                running = 0.9 * running + 0.1 * loss.item() if step else loss.item()
                bar.update(1)
                bar.set_postfix(epoch=epoch, loss=f"{running:.4f}", refresh=False)
            score: Optional[Score] = None
            if evaluate is not None:
                model.eval()
                with torch.inference_mode():
                    score = tuple(float(s) for s in evaluate(model))
                bar.set_postfix(epoch=epoch, loss=f"{running:.4f}", dev=f"{score[0]:.4f}")
                logger.info("%s: epoch %d loss %.4f dev %s", desc, epoch, running, score)
            if best_score is None or score is None or score > best_score:
                best_score, best_epoch = score, epoch
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            elif epoch - best_epoch >= patience:
                bar.total = bar.n  # stopped early: close the bar at 100%
                bar.refresh()
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return FitResult(best_score, best_epoch, epoch, time.perf_counter() - started)
