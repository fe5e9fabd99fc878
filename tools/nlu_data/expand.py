"""Expanding each (intent, sub-intent) block's templates into distinct examples per split.

Why: every block gets about the same number of examples (``TARGETS``) however many
templates it has; templates are cycled, varied and refilled until the target is met or
no template yields a new sentence. A realistic block (``nlu_source/realistic/``) gets
``REALISTIC_PER_TEMPLATE`` examples per template instead, so its share follows its
template count, like real traffic. Each block and split has its own seeded
``random.Random``, so one block's change does not reshuffle the others.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Dict, List, Set

from core.vocabulary import CONVERSATION_INTENTS, MEDICAL_INTENT, SUB_INTENTS
from tools.nlu_data.fill import Example, Filler
from tools.nlu_data.graph import KG
from tools.nlu_data.split import BlockKey, SentenceGuard
from tools.nlu_data.templates import SourceFile
from tools.nlu_data.typos import HomophoneTable
from tools.nlu_data.variation import vary_diagnosis, vary_smalltalk

DIAGNOSIS, SMALLTALK = "diagnosis", "smalltalk"  # the two output files' kinds
# (train, test) targets of distinct examples per block
TARGETS = {DIAGNOSIS: (400, 90), SMALLTALK: (260, 56)}
# (train, test) examples per template of a realistic block
REALISTIC_PER_TEMPLATE = (3, 2)
MAX_ROUNDS = 500
ATTEMPTS_PER_TEMPLATE = 6
VARY_DIAGNOSIS_PROB = 0.35


@dataclass
class Block:
    key: BlockKey
    train_templates: List[str] = field(default_factory=list)
    test_templates: List[str] = field(default_factory=list)
    examples: Dict[str, List[Example]] = field(default_factory=lambda: {"train": [], "test": []})
    realistic: bool = False

    @property
    def kind(self) -> str:
        return DIAGNOSIS if self.key[0] == MEDICAL_INTENT else SMALLTALK


def block_order() -> List[BlockKey]:
    """Small-talk and handoff intents, then the medical intent's sub-intents, in vocabulary order."""
    return [(i, None) for i in CONVERSATION_INTENTS] + [(MEDICAL_INTENT, s) for s in SUB_INTENTS]


def build_blocks(sources: List[SourceFile], realistic: bool = False) -> List[Block]:
    """One block per (intent, sub-intent), templates of several files merged."""
    by_key: Dict[BlockKey, Block] = {}
    for sf in sources:
        key = (sf.intent, sf.sub_intent)
        block = by_key.setdefault(key, Block(key, realistic=realistic))
        for t in sf.templates:
            target = block.test_templates if t in sf.test_templates else block.train_templates
            if t not in block.train_templates and t not in block.test_templates:
                target.append(t)
    return [by_key[k] for k in block_order() if k in by_key]


class Generator:
    """Expands blocks; all splits share one :class:`SentenceGuard`."""

    def __init__(self, kg: KG, seed: int, homophones: HomophoneTable) -> None:
        self.kg = kg
        self.seed = seed
        self.homophones = homophones
        self.guard = SentenceGuard(kg.synonyms)

    def expand(self, block: Block, split: str) -> None:
        templates = block.train_templates if split == "train" else block.test_templates
        i = 0 if split == "train" else 1
        if block.realistic:
            target = len(templates) * REALISTIC_PER_TEMPLATE[i]
            rng = random.Random(f"{self.seed}/{split}/realistic/{block.key[0]}/{block.key[1]}")
        else:
            target = TARGETS[block.kind][i]
            rng = random.Random(f"{self.seed}/{split}/{block.key[0]}/{block.key[1]}")
        filler = Filler(self.kg, split, rng, self.homophones)
        diagnosis = block.kind == DIAGNOSIS
        out = block.examples[split]
        seen: Set[str] = set()
        active = list(templates)
        rnd = 0
        while active and len(out) < target and rnd < MAX_ROUNDS:
            still: List[str] = []
            for tpl in active:
                if len(out) >= target:
                    still.append(tpl)
                    continue
                for attempt in range(ATTEMPTS_PER_TEMPLATE):
                    if rnd == 0 and attempt == 0:
                        variant = tpl
                    elif diagnosis:
                        variant = vary_diagnosis(tpl, rng) if rng.random() < VARY_DIAGNOSIS_PROB else tpl
                    else:
                        variant = vary_smalltalk(tpl, rng)
                    ex = filler.fill(variant, annotate_literals=diagnosis)
                    if (
                        ex is None
                        or ex.plain in seen
                        or not self.guard.claim(ex.plain, ex.synonyms, split, block.key)
                    ):
                        continue
                    seen.add(ex.plain)
                    out.append(ex)
                    self.guard.accept(ex.synonyms)
                    still.append(tpl)
                    break
            active = still
            rnd += 1
