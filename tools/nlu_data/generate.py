"""The whole run: read templates and graph, expand every block for train then test, write
the four files (and ``tests/nlu_realistic/diagnosis.yml``), and report counts and the
minima that were not met.

The realistic templates of ``nlu_source/realistic/`` (shaped like real patient traffic) are
expanded after the others: their train share is appended to ``data/nlu``, their test share
is its own split, so ``tests/nlu`` does not change when they do.

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
from tools.nlu_data.split import REALISTIC_TEST_FRACTION, SPLITS
from tools.nlu_data.templates import SourceFile, literal_text, load_sources
from tools.nlu_data.typos import HomophoneTable

logger = logging.getLogger(__name__)

DEFAULT_SOURCE = PROJECT_ROOT / "nlu_source"
DEFAULT_KG = PROJECT_ROOT / "data" / "kg"
DEFAULT_OUT = PROJECT_ROOT / "data" / "nlu"
DEFAULT_TEST_OUT = PROJECT_ROOT / "tests" / "nlu"
REALISTIC = "realistic"  # subfolder of the source folder
DEFAULT_REALISTIC_TEST_OUT = PROJECT_ROOT / "tests" / "nlu_realistic"
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
    realistic_test_out_dir: Path = DEFAULT_REALISTIC_TEST_OUT,
) -> Result:
    """Generate and write the train and test files; ``homophones`` defaults to the table of
    the graph's names and the (non-realistic) templates."""
    sources = load_sources(source_dir)
    real_sources = [
        sf
        for sf in load_sources(source_dir / REALISTIC, REALISTIC_TEST_FRACTION)
        if sf.intent == MEDICAL_INTENT
    ]
    if not sources:
        raise GenerationError(f"no usable templates in {source_dir}")
    # A realistic test template that the main sources have is trained on: it measures nothing new.
    main_templates = {t for sf in sources for t in sf.templates}
    for sf in real_sources:
        sf.test_templates -= main_templates
    kg = KG(kg_dir)
    if not kg.diseases:
        logger.warning("no diseases found in %s; templates with placeholders cannot be filled", kg_dir)
    if homophones is None:
        homophones = HomophoneTable.from_text(kg.names() + literal_text(sources))
    blocks = build_blocks(sources)
    real_blocks = build_blocks(real_sources, realistic=True)
    gen = Generator(kg, seed, homophones)
    for group in (blocks, real_blocks):  # realistic last: the others' output does not depend on it
        for split in SPLITS:  # train first: test never reuses a train text
            for block in group:
                gen.expand(block, split)
    n_held, n_dis = len(kg.held_out), len(kg.diseases)
    for split, directory in zip(SPLITS, (out_dir, test_out_dir)):
        for name, kind in OUTPUT_FILES:
            selected = [b for b in blocks if b.kind == kind]
            if split == "train":
                selected += [b for b in real_blocks if b.kind == kind]
            write(directory / name, render(selected, split, seed, n_held, n_dis))
    if real_blocks:
        write(realistic_test_out_dir / "diagnosis.yml", render(real_blocks, "test", seed, n_held, n_dis))
    return summarise(blocks + real_blocks, kg, sources + real_sources)


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
        intent = f"{b.key[0][:6]}/real" if b.realistic else b.key[0]
        rows.append(f"{intent:<10} {(b.key[1] or '-'):<13} {tpl:>9} {n_tr:>6} {n_te:>5}")
        if b.realistic:
            if not n_te:
                problems.append(f"realistic {b.key}: no test examples")
            continue
        lo_tr, lo_te = MINIMA[b.kind]
        if n_tr < lo_tr or n_te < lo_te:
            problems.append(f"{b.key}: {n_tr}/{n_te} examples, need {lo_tr}/{lo_te}")
    rows.append(f"{'total':<10} {'':<13} {'':>9} {tot['train']:>6} {tot['test']:>5}")
    present = {b.key for b in blocks if not b.realistic}
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
    n_real = sum(1 for sf in sources if sf.path.parent.name == REALISTIC)
    rows.append(
        f"sources: {len(sources) - n_real} file(s) in nlu_source/, {n_real} in nlu_source/{REALISTIC}/"
    )
    return Result("\n".join(rows), problems)
