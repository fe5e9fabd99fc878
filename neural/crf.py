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

from typing import List, Optional, Sequence

import torch
from torch import nn

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
    def viterbi(self, emissions: torch.Tensor, mask: torch.Tensor) -> List[List[int]]:
        """The best tag sequence of each item (length = its number of valid positions)."""
        trans = self._trans().unsqueeze(0)
        padded = not bool(mask.all())
        score = self._start() + emissions[:, 0]
        backpointers = []
        for t in range(1, emissions.size(1)):
            best, idx = (score.unsqueeze(2) + trans).max(dim=1)
            nxt = best + emissions[:, t]
            score = torch.where(mask[:, t : t + 1], nxt, score) if padded else nxt
            backpointers.append(idx)
        score = score + self.end
        lengths = mask.long().sum(1).tolist()
        last_tags = score.argmax(1).tolist()
        pointers = torch.stack(backpointers, 1).tolist() if backpointers else []
        paths = []
        for b, (length, tag) in enumerate(zip(lengths, last_tags)):
            path = [tag]
            for t in range(length - 2, -1, -1):
                tag = pointers[b][t][tag]
                path.append(tag)
            paths.append(path[::-1])
        return paths

    def marginals(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``p(y_t = k | emissions)`` ``[batch, time, tags]`` (0 where masked).

        Forward-backward in probability space with per-step normalisation (the scaled
        variant): every position's marginal is renormalised at the end, so the scale
        factors cancel, and a matrix product per step is much cheaper on CPU than the
        log-space ``logsumexp`` (this runs for every message at inference).
        """
        trans = self._trans()
        padded = not bool(mask.all())
        step = torch.exp(trans - trans.max())  # forbidden -> 0
        emit = torch.exp(emissions - emissions.max(dim=2, keepdim=True).values)
        start, end = self._start(), self.end
        alpha = torch.exp(start - start.max()) * emit[:, 0]
        alpha = alpha / alpha.sum(1, keepdim=True)
        alphas = [alpha]
        for t in range(1, emissions.size(1)):
            nxt = (alpha @ step) * emit[:, t]
            nxt = nxt / nxt.sum(1, keepdim=True)
            alpha = torch.where(mask[:, t : t + 1], nxt, alpha) if padded else nxt
            alphas.append(alpha)
        # positions past the end keep beta = end scores, so the last valid one gets ``end``
        beta = torch.exp(end - end.max()).expand_as(emit[:, 0])
        betas = [beta]
        step_t = step.t()
        for t in range(emissions.size(1) - 1, 0, -1):
            nxt = (emit[:, t] * beta) @ step_t
            nxt = nxt / nxt.sum(1, keepdim=True)
            beta = torch.where(mask[:, t : t + 1], nxt, beta) if padded else nxt
            betas.append(beta)
        probs = torch.stack(alphas, 1) * torch.stack(betas[::-1], 1)
        probs = probs / probs.sum(2, keepdim=True)
        return probs * mask.unsqueeze(2).to(probs.dtype)
