"""The whole run: read templates and graph, expand every block for train then test, write
the four files, and report counts and the minima that were not met.

Why: the library entry point for the CLI and the tests; it raises
:class:`~tools.nlu_data.errors.GenerationError` and logs, it never prints or exits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple

from core.paths import PROJECT_ROOT
from core.vocabulary import CONVERSATION_INTENTS, MEDICAL_INTENT, SUB_INTENTS
from tools.nlu_data.errors import GenerationError
from tools.nlu_data.expand import DIAGNOSIS, SMALLTALK, Block, Generator, build_blocks
from tools.nlu_data.fill import FORM_WEIGHTS
from tools.nlu_data.graph import FILLED_ENTITY_TYPES, KG
from tools.nlu_data.render import render, write
from tools.nlu_data.split import SPLITS
from tools.nlu_data.templates import SourceFile, literal_text, load_sources
from tools.nlu_data.typos import HomophoneTable

logger = logging.getLogger(__name__)

DEFAULT_SOURCE = PROJECT_ROOT / "nlu_source"
DEFAULT_KG = PROJECT_ROOT / "data" / "kg"
DEFAULT_OUT = PROJECT_ROOT / "data" / "nlu"
DEFAULT_TEST_OUT = PROJECT_ROOT / "tests" / "nlu"
DEFAULT_SEED = 42
OUTPUT_FILES: Tuple[Tuple[str, str], ...] = (("smalltalk.yml", SMALLTALK), ("diagnosis.yml", DIAGNOSIS))
# (train, test) required minima of distinct examples per block
MINIMA = {DIAGNOSIS: (300, 60), SMALLTALK: (220, 40)}
MIN_ENTITY_EXAMPLES_TRAIN = 2000


@dataclass
class Result:
    """What a run produced: the summary table and the minima that were not met."""

    table: str
    problems: List[str] = field(default_factory=list)


def generate(
    source_dir: Path = DEFAULT_SOURCE,
    kg_dir: Path = DEFAULT_KG,
    out_dir: Path = DEFAULT_OUT,
    test_out_dir: Path = DEFAULT_TEST_OUT,
    seed: int = DEFAULT_SEED,
    homophones: Optional[HomophoneTable] = None,
) -> Result:
    """Generate and write the train and test files; ``homophones`` defaults to the table of
    the graph's names and the templates."""
    sources = load_sources(source_dir)
    if not sources:
        raise GenerationError(f"no usable templates in {source_dir}")
    kg = KG(kg_dir)
    if not kg.diseases:
        logger.warning("no diseases found in %s; templates with placeholders cannot be filled", kg_dir)
    if homophones is None:
        homophones = HomophoneTable.from_text(kg.names() + literal_text(sources))
    blocks = build_blocks(sources)
    gen = Generator(kg, seed, homophones)
    for split in SPLITS:  # train first: test never reuses a train text
        for block in blocks:
            gen.expand(block, split)
    for split, directory in zip(SPLITS, (out_dir, test_out_dir)):
        for name, kind in OUTPUT_FILES:
            selected = [b for b in blocks if b.kind == kind]
            write(directory / name, render(selected, split, seed, len(kg.held_out), len(kg.diseases)))
    return summarise(blocks, kg, sources)


def summarise(blocks: List[Block], kg: KG, sources: List[SourceFile]) -> Result:
    """Counts per block and split, entity and form counts, and the unmet minima."""
    problems: List[str] = []
    rows = [f"{'intent':<10} {'sub_intent':<13} {'tpl tr/te':>9} {'train':>6} {'test':>5}"]
    tot = {"train": 0, "test": 0}
    for b in blocks:
        n_tr, n_te = len(b.examples["train"]), len(b.examples["test"])
        tot["train"] += n_tr
        tot["test"] += n_te
        tpl = f"{len(b.train_templates)}/{len(b.test_templates)}"
        rows.append(f"{b.key[0]:<10} {(b.key[1] or '-'):<13} {tpl:>9} {n_tr:>6} {n_te:>5}")
        lo_tr, lo_te = MINIMA[b.kind]
        if n_tr < lo_tr or n_te < lo_te:
            problems.append(f"{b.key}: {n_tr}/{n_te} examples, need {lo_tr}/{lo_te}")
    rows.append(f"{'total':<10} {'':<13} {'':>9} {tot['train']:>6} {tot['test']:>5}")
    present = {b.key for b in blocks}
    for intent in CONVERSATION_INTENTS:
        if (intent, None) not in present:
            problems.append(f"no source file for intent {intent}")
    for sub in SUB_INTENTS:
        if (MEDICAL_INTENT, sub) not in present:
            problems.append(f"no source file for {MEDICAL_INTENT}/{sub}")
    rows.append("")
    for split in SPLITS:
        exs = [e for b in blocks for e in b.examples[split]]
        with_ent = sum(1 for e in exs if e.entities)
        by_type = {t: sum(e.entities.count(t) for e in exs) for t in FILLED_ENTITY_TYPES}
        forms = {f: sum(e.forms.get(f, 0) for e in exs) for f, _ in FORM_WEIGHTS}
        held = sum(e.held_out for e in exs)
        rows.append(
            f"{split}: {with_ent} examples with entities; mentions "
            + ", ".join(f"{t}={n}" for t, n in by_type.items())
        )
        rows.append(
            f"{split}: disease forms "
            + ", ".join(f"{f}={n}" for f, n in forms.items())
            + f"; held-out disease mentions={held}"
        )
        if split == "train":
            if with_ent < MIN_ENTITY_EXAMPLES_TRAIN:
                problems.append(
                    f"train has {with_ent} examples with entities, need {MIN_ENTITY_EXAMPLES_TRAIN}"
                )
            missing = [t for t, n in by_type.items() if not n]
            if missing:
                problems.append(f"train lacks entity types {missing}")
            if held:
                problems.append("held-out diseases leaked into train")
    rows.append(
        f"KG: {len(kg.diseases)} diseases ({len(kg.held_out)} held out) from "
        f"{len(kg.files)} file(s); " + ", ".join(f"{t}={len(kg.pools[t])}" for t in FILLED_ENTITY_TYPES[1:])
    )
    rows.append(f"sources: {len(sources)} file(s) in nlu_source/")
    return Result("\n".join(rows), problems)
