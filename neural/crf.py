"""A linear-chain conditional random field in plain torch.

Scores a tag sequence as ``start[y1] + sum_t emission[t, y_t] + sum_t trans[y_{t-1}, y_t]
+ end[y_T]``. Training maximises the log-likelihood (the partition function comes from
the forward algorithm, in log space); decoding is Viterbi; ``marginals`` (scaled
forward-backward) gives each position's tag probabilities, used as the extractor's
per-entity confidence.

``allowed`` (optional ``[num_tags, num_tags]`` bool, plus ``allowed_start``) forbids
transitions such as ``O -> I-disease`` for BIO tags, so every decoded path is valid BIO.
Masks are ``[batch, time]`` bool with the valid positions first (``mask[:, 0]`` all true).
"""

from __future__ import annotations

import math
import operator
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import nn

Tensorish = Union[torch.Tensor, np.ndarray]  # the inference methods read either
FORBIDDEN = -1e4  # added to forbidden transitions' scores (finite: keeps gradients clean)


def bio_constraints(tags: Sequence[str]):
    """``(allowed[from, to], allowed_start)`` for BIO tags: ``I-x`` only after ``B-x``/``I-x``."""
    n = len(tags)
    allowed = torch.ones(n, n, dtype=torch.bool)
    start = torch.ones(n, dtype=torch.bool)
    for j, to in enumerate(tags):
        if to.startswith("I-"):
            start[j] = False
            for i, frm in enumerate(tags):
                allowed[i, j] = frm in (f"B-{to[2:]}", f"I-{to[2:]}")
    return allowed, start


class CRF(nn.Module):
    # Registered buffers (declared so type checkers see tensors, not ``Module.__getattr__``).
    penalty: torch.Tensor
    start_penalty: torch.Tensor

    def __init__(
        self,
        num_tags: int,
        allowed: Optional[torch.Tensor] = None,
        allowed_start: Optional[torch.Tensor] = None,
    ) -> None:
        super().__init__()
        self.num_tags = num_tags
        self.transitions = nn.Parameter(torch.zeros(num_tags, num_tags))
        self.start = nn.Parameter(torch.zeros(num_tags))
        self.end = nn.Parameter(torch.zeros(num_tags))
        penalty = torch.zeros(num_tags, num_tags)
        start_penalty = torch.zeros(num_tags)
        if allowed is not None:
            penalty = penalty.masked_fill(~allowed, FORBIDDEN)
        if allowed_start is not None:
            start_penalty = start_penalty.masked_fill(~allowed_start, FORBIDDEN)
        self.register_buffer("penalty", penalty, persistent=False)
        self.register_buffer("start_penalty", start_penalty, persistent=False)

    def _trans(self) -> torch.Tensor:
        return self.transitions + self.penalty

    def _start(self) -> torch.Tensor:
        return self.start + self.start_penalty

    # ------------------------------------------------------------------ training
    def path_score(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Unnormalised score of ``tags`` ``[batch]``."""
        trans, maskf = self._trans(), mask.to(emissions.dtype)
        score = self._start()[tags[:, 0]] + emissions[:, 0].gather(1, tags[:, :1]).squeeze(1)
        emit = emissions[:, 1:].gather(2, tags[:, 1:].unsqueeze(2)).squeeze(2)
        step = trans[tags[:, :-1], tags[:, 1:]] + emit
        score = score + (step * maskf[:, 1:]).sum(1)
        last = mask.long().sum(1) - 1
        return score + self.end[tags.gather(1, last.unsqueeze(1)).squeeze(1)]

    def _forward_alphas(self, emissions: torch.Tensor, mask: torch.Tensor) -> List[torch.Tensor]:
        trans = self._trans().unsqueeze(0)
        padded = not bool(mask.all())  # no padding (one message): skip the masking ops
        alpha = self._start() + emissions[:, 0]
        alphas = [alpha]
        for t in range(1, emissions.size(1)):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + trans, dim=1) + emissions[:, t]
            alpha = torch.where(mask[:, t : t + 1], nxt, alpha) if padded else nxt
            alphas.append(alpha)
        return alphas

    def log_partition(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``log Z`` per sequence (forward algorithm) ``[batch]``."""
        return torch.logsumexp(self._forward_alphas(emissions, mask)[-1] + self.end, dim=1)

    def log_likelihood(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``log p(tags | emissions)`` per sequence ``[batch]``."""
        return self.path_score(emissions, tags, mask) - self.log_partition(emissions, mask)

    # ------------------------------------------------------------------ inference
    # Both run per sequence in plain Python over lists: they are on every message's path, and
    # for a handful of tags and a few dozen positions the per-operator dispatch of torch (or
    # numpy) costs far more than the arithmetic (one 32-character message, 3 tags, Viterbi and
    # marginals: 4.8 ms in torch, 1.8 ms in numpy, 0.2 + 0.7 ms here). The work is
    # O(time x tags^2) per sequence, as before.
    def _lists(self, emissions: Tensorish, mask: Tensorish):
        """Per sequence its valid rows of emissions, and the constant scores, as lists.

        ``emissions``/``mask`` are torch tensors or NumPy arrays (the serving path's
        onnxruntime outputs). The constant scores are read once per parameter update.
        """
        if isinstance(emissions, torch.Tensor):
            emissions = emissions.detach().cpu()
        if isinstance(mask, torch.Tensor):
            mask = mask.detach().cpu()
        lengths = mask.sum(1).tolist()
        rows = emissions.tolist()
        return [row[: int(n)] for row, n in zip(rows, lengths)], *self._constants()

    def _constants(self) -> Tuple[List[List[float]], List[float], List[float]]:
        """``(transitions + penalty, start + penalty, end)`` as lists, cached until a parameter
        changes: an in-place update (an optimiser step, ``load_state_dict``) bumps the tensor's
        version counter, a replaced tensor has another storage."""
        key = tuple(
            (t._version, t.data_ptr())
            for t in (self.transitions, self.start, self.end, self.penalty, self.start_penalty)
        )
        cached = self.__dict__.get("_constant_lists")
        if cached is None or cached[0] != key:
            with torch.no_grad():
                values = (
                    self._trans().cpu().tolist(),
                    self._start().cpu().tolist(),
                    self.end.detach().cpu().tolist(),
                )
            cached = (key, values)
            self.__dict__["_constant_lists"] = cached
        return cached[1]

    def viterbi(self, emissions: Tensorish, mask: Tensorish) -> List[List[int]]:
        """The best tag sequence of each item (length = its number of valid positions)."""
        sequences, trans, start, end = self._lists(emissions, mask)
        tags = range(self.num_tags)
        columns = [[trans[i][j] for i in tags] for j in tags]  # columns[to][from]
        paths = []
        for emit in sequences:
            score = [s + e for s, e in zip(start, emit[0])]
            backpointers = []
            for row in emit[1:]:
                nxt, back = [], []
                for j in tags:
                    column = columns[j]
                    best_i, best = 0, score[0] + column[0]
                    for i in tags:
                        value = score[i] + column[i]
                        if value > best:
                            best_i, best = i, value
                    nxt.append(best + row[j])
                    back.append(best_i)
                score = nxt
                backpointers.append(back)
            final = [s + e for s, e in zip(score, end)]
            tag = max(tags, key=final.__getitem__)
            path = [tag]
            for back in reversed(backpointers):
                tag = back[tag]
                path.append(tag)
            paths.append(path[::-1])
        return paths

    def marginals(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``p(y_t = k | emissions)`` ``[batch, time, tags]`` (0 where masked)."""
        out = torch.zeros(tuple(emissions.shape[:2]) + (self.num_tags,), dtype=torch.float32)
        for b, rows in enumerate(self.marginal_rows(emissions, mask)):
            out[b, : len(rows)] = torch.tensor(rows, dtype=out.dtype)
        return out

    def marginal_rows(self, emissions: Tensorish, mask: Tensorish) -> List[List[List[float]]]:
        """Per sequence, each valid position's tag probabilities, as lists.

        Forward-backward in probability space with per-step normalisation (the scaled
        variant): every position's marginal is renormalised at the end, so the scale
        factors cancel, and no ``logsumexp`` is needed (this runs for every message at
        inference).
        """
        sequences, trans, start, end = self._lists(emissions, mask)
        tags = range(self.num_tags)
        top = max(max(r) for r in trans)
        step = [[math.exp(v - top) for v in r] for r in trans]  # forbidden -> 0
        columns = [[step[i][j] for i in tags] for j in tags]

        def normalised(values: List[float]) -> List[float]:
            total = sum(values)
            return [v / total for v in values]

        out: List[List[List[float]]] = []
        top_start, top_end = max(start), max(end)
        for rows in sequences:
            emit = []
            for row in rows:
                peak = max(row)
                emit.append([math.exp(v - peak) for v in row])
            alpha = normalised([math.exp(s - top_start) * e for s, e in zip(start, emit[0])])
            alphas = [alpha]
            for e in emit[1:]:
                alpha = normalised([sum(map(operator.mul, alpha, columns[j])) * e[j] for j in tags])
                alphas.append(alpha)
            beta = [math.exp(v - top_end) for v in end]
            betas = [beta]
            for e in reversed(emit[1:]):
                weighted = [x * y for x, y in zip(e, beta)]
                beta = normalised([sum(map(operator.mul, step[i], weighted)) for i in tags])
                betas.append(beta)
            betas.reverse()
            out.append([normalised([a * z for a, z in zip(al, be)]) for al, be in zip(alphas, betas)])
        return out
