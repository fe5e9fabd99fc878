"""Train/test separation: which templates and which diseases only the test split sees, and
the guard that keeps a test sentence out of training.

Why: the test split measures generalisation, so it must hold sentences the model never
saw. Three guarantees, all deterministic (stable hashes, independent of the seed and of
``PYTHONHASHSEED``):

* ~20 % of each source file's templates are test-only (chosen by template text; 25 % of
  the realistic ones of ``nlu_source/realistic/``, whose test split is ``tests/nlu_realistic``);
* ~15 % of the diseases are held out: only test sentences mention them;
* no sentence key (:func:`core.normalise.sentence_key`: case, spacing and punctuation
  folded) belongs to two splits or two labels; train is generated first, so a test
  sentence never repeats a training one.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from core.normalise import sentence_key
from tools.nlu_data.text import stable_hash

TEST_TEMPLATE_FRACTION = 0.20
REALISTIC_TEST_FRACTION = 0.25
HOLDOUT_DISEASE_FRACTION = 0.15
HOLDOUT_IN_TEST_PROB = 0.5  # share of test disease slots filled with held-out names
SPLITS: Tuple[str, ...] = ("train", "test")  # in generation order: train first

BlockKey = Tuple[str, Optional[str]]


def split_templates(templates: Sequence[str], fraction: float = TEST_TEMPLATE_FRACTION) -> Set[str]:
    """Stable choice of ~``fraction`` of the templates for the test split."""
    if len(templates) < 3:
        return set()
    n_test = max(1, round(len(templates) * fraction))
    ranked = sorted(templates, key=lambda t: (stable_hash(t, "template-split"), t))
    return set(ranked[:n_test])


def held_out_diseases(names: Iterable[str]) -> List[str]:
    """The diseases only test sentences mention (at least one when there are two or more)."""
    names = list(names)
    held = [n for n in names if stable_hash(n, "disease-holdout") % 10000 < HOLDOUT_DISEASE_FRACTION * 10000]
    if not held and len(names) >= 2:
        held = [min(names, key=lambda n: stable_hash(n, "disease-holdout"))]
    return sorted(held)


class SentenceGuard:
    """Hands each sentence key to one (split, block) and one canonical name to each surface."""

    def __init__(self, synonyms: Dict[str, str]) -> None:
        self.owner: Dict[str, Tuple[str, BlockKey]] = {}  # sentence key -> (split, block)
        self.synonyms: Dict[str, str] = dict(synonyms)  # surface -> canonical, all splits

    def claim(self, plain: str, synonyms: Dict[str, str], split: str, key: BlockKey) -> bool:
        """True (and the sentence is taken) unless another split or label owns it already,
        or one of its surface forms already stands for another name."""
        nk = sentence_key(plain)
        if not nk:
            return False
        if any(self.synonyms.get(s, c) != c for s, c in synonyms.items()):
            return False
        owner = self.owner.get(nk)
        if owner is not None and owner != (split, key):
            return False
        self.owner[nk] = (split, key)
        return True

    def accept(self, synonyms: Dict[str, str]) -> None:
        """Record the surface forms of an example that was kept."""
        self.synonyms.update(synonyms)
