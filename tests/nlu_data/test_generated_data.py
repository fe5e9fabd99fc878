"""Checks for the generated NLU data (data/nlu/*.yml train, tests/nlu/*.yml test,
tests/nlu_realistic/diagnosis.yml the realistic test split).

Regenerate with ``python -m tools.nlu_data`` (or ``python -m bot data generate``) after
editing ``nlu_source/`` or ``data/kg/``.
"""

from __future__ import annotations

import collections
import io
from contextlib import redirect_stdout
from pathlib import Path

import pytest
import yaml

from core.normalise import sentence_key
from core.paths import PROJECT_ROOT
from core.vocabulary import CONVERSATION_INTENTS as SMALLTALK
from core.vocabulary import DISEASE, MEDICAL_INTENT, SUB_INTENTS
from tools import nlu_data
from tools.nlu_data.graph import FILLED_ENTITY_TYPES as ENTITY_TYPES
from tools.nlu_data.graph import KG
from tools.nlu_data.render import HEADER
from tools.nlu_data.split import REALISTIC_TEST_FRACTION
from tools.nlu_data.templates import load_sources

TRAIN_DIR = PROJECT_ROOT / "data" / "nlu"
TEST_DIR = PROJECT_ROOT / "tests" / "nlu"
REALISTIC_DIR = PROJECT_ROOT / "tests" / "nlu_realistic"
FILES = ("smalltalk.yml", "diagnosis.yml")
REALISTIC_FILES = ("diagnosis.yml",)
REGENERATE = "python -m tools.nlu_data"


def _load(directory: Path, files=FILES):
    from rasa.shared.nlu.training_data.loading import load_data

    messages = []
    synonyms = {}
    for name in files:
        path = directory / name
        assert path.is_file(), f"{path} missing: run {REGENERATE}"
        data = load_data(str(path))
        messages.extend(data.training_examples)
        synonyms.update(data.entity_synonyms)
    return messages, synonyms


@pytest.fixture(scope="module")
def train():
    return _load(TRAIN_DIR)


@pytest.fixture(scope="module")
def test():
    return _load(TEST_DIR)


@pytest.fixture(scope="module")
def realistic():
    return _load(REALISTIC_DIR, REALISTIC_FILES)


def _label(message):
    intent = message.get("intent")
    if intent != MEDICAL_INTENT:
        return intent
    # Rasa 3.6 stores intent-level metadata as {"intent": {...}} under "metadata".
    metadata = message.get("metadata") or {}
    return metadata.get("intent", {}).get("sub_intent")


def _counts(messages):
    distinct = collections.defaultdict(set)
    for m in messages:
        distinct[_label(m)].add(m.get("text"))
    return {k: len(v) for k, v in distinct.items()}


def test_header_and_version():
    for directory in (TRAIN_DIR, TEST_DIR):
        for name in FILES:
            text = (directory / name).read_text(encoding="utf-8")
            assert text.startswith(HEADER), name
            assert yaml.safe_load(text)["version"] == "3.1"
    text = (REALISTIC_DIR / "diagnosis.yml").read_text(encoding="utf-8")
    assert text.startswith(HEADER)
    assert yaml.safe_load(text)["version"] == "3.1"


def test_realistic_split(realistic, train, test):
    """Every sub-intent is in the realistic test split, none of its sentence keys is in
    training or in tests/nlu, and no text has two labels."""
    messages, _ = realistic
    assert {m.get("intent") for m in messages} == {MEDICAL_INTENT}
    assert {_label(m) for m in messages} == set(SUB_INTENTS)
    keys = {sentence_key(m.get("text")) for m in messages}
    assert not keys & {sentence_key(m.get("text")) for m in train[0]}
    assert not keys & {sentence_key(m.get("text")) for m in test[0]}
    labels = collections.defaultdict(set)
    for m in messages + train[0]:
        labels[m.get("text")].add(_label(m))
    assert not {t: ls for t, ls in labels.items() if len(ls) > 1}


@pytest.mark.parametrize("split", ["train", "test"])
def test_intents_and_sub_intents(split, train, test):
    messages, _ = train if split == "train" else test
    intents = {m.get("intent") for m in messages}
    assert intents == set(SMALLTALK) | {MEDICAL_INTENT}
    for m in messages:
        if m.get("intent") == MEDICAL_INTENT:
            sub = m.get("metadata")["intent"]["sub_intent"]
            assert sub in SUB_INTENTS, m.get("text")
        else:
            assert "sub_intent" not in ((m.get("metadata") or {}).get("intent") or {})
    assert {_label(m) for m in messages if m.get("intent") == MEDICAL_INTENT} == set(SUB_INTENTS)


@pytest.mark.parametrize("split, diag_min, small_min", [("train", 300, 220), ("test", 60, 40)])
def test_minimum_counts(split, diag_min, small_min, train, test):
    counts = _counts((train if split == "train" else test)[0])
    for intent in SMALLTALK:
        assert counts.get(intent, 0) >= small_min, (intent, counts.get(intent))
    for sub in SUB_INTENTS:
        assert counts.get(sub, 0) >= diag_min, (sub, counts.get(sub))


def test_train_and_test_share_no_text(train, test):
    train_texts = {m.get("text") for m in train[0]}
    test_texts = {m.get("text") for m in test[0]}
    assert not train_texts & test_texts
    # not even up to punctuation / spacing / case
    assert not {sentence_key(t) for t in train_texts} & {sentence_key(t) for t in test_texts}


def test_no_text_with_two_labels(train, test):
    labels = collections.defaultdict(set)
    for m in train[0] + test[0]:
        labels[m.get("text")].add(_label(m))
    assert not {t: ls for t, ls in labels.items() if len(ls) > 1}


def test_entities(train, test):
    train_msgs, _ = train
    with_entities = [m for m in train_msgs if m.get("entities")]
    assert len(with_entities) >= 2000
    types = collections.Counter(e["entity"] for m in with_entities for e in m.get("entities"))
    assert set(types) == set(ENTITY_TYPES), types
    test_types = {e["entity"] for m in test[0] for e in m.get("entities") or []}
    assert DISEASE in test_types
    for m in train_msgs + test[0]:
        text = m.get("text")
        for e in m.get("entities") or []:
            assert text[e["start"] : e["end"]], (text, e)
            assert not set(text) & set("[]{}()"), text


def test_disease_values_are_canonical_kg_names(train, test):
    kg = KG(PROJECT_ROOT / "data" / "kg")
    typed = 0
    for m in train[0] + test[0]:
        for e in m.get("entities") or []:
            if e["entity"] == DISEASE:
                assert e["value"] in kg.diseases, (m.get("text"), e)
                typed += e["value"] != m.get("text")[e["start"] : e["end"]]
    assert typed > 0  # aliases / typos / normalised forms are annotated as synonyms
    # a synonym surface must never be another entity's canonical name
    for surface, value in {**train[1], **test[1]}.items():
        assert surface not in kg.entity_names, (surface, value)


def test_held_out_diseases_only_in_test(train, test):
    kg = KG(PROJECT_ROOT / "data" / "kg")
    held = set(kg.held_out)
    assert held
    train_values = {e["value"] for m in train[0] for e in m.get("entities") or [] if e["entity"] == DISEASE}
    test_values = {e["value"] for m in test[0] for e in m.get("entities") or [] if e["entity"] == DISEASE}
    assert not train_values & held
    assert test_values & held


def test_source_templates():
    sources = load_sources(PROJECT_ROOT / "nlu_source")
    for sf in sources:
        minimum = 45 if sf.intent == MEDICAL_INTENT else 70
        assert len(set(sf.templates)) >= minimum, (sf.path.name, len(sf.templates))
        assert sf.test_templates and sf.test_templates < set(sf.templates)
    realistic = load_sources(PROJECT_ROOT / "nlu_source" / "realistic", REALISTIC_TEST_FRACTION)
    assert {sf.sub_intent for sf in realistic} == set(SUB_INTENTS)
    for sf in realistic:
        assert sf.intent == MEDICAL_INTENT and len(sf.templates) >= 15, (sf.path.name, len(sf.templates))
        assert sf.test_templates and sf.test_templates < set(sf.templates)


def _generate(tmp: Path, seed: int = 42):
    with redirect_stdout(io.StringIO()):
        rc = nlu_data.main(
            [
                "--seed",
                str(seed),
                "--out",
                str(tmp / "train"),
                "--test-out",
                str(tmp / "test"),
                "--realistic-test-out",
                str(tmp / "realistic"),
            ]
        )
    assert rc == 0
    out = {
        f"{split}/{name}": (tmp / split / name).read_bytes() for split in ("train", "test") for name in FILES
    }
    out.update({f"realistic/{name}": (tmp / "realistic" / name).read_bytes() for name in REALISTIC_FILES})
    return out


def test_regeneration_is_byte_identical(tmp_path):
    first = _generate(tmp_path / "a")
    second = _generate(tmp_path / "b")
    assert first == second
    committed = {
        f"{split}/{name}": (directory / name).read_bytes()
        for split, directory in (("train", TRAIN_DIR), ("test", TEST_DIR))
        for name in FILES
    }
    committed.update({f"realistic/{name}": (REALISTIC_DIR / name).read_bytes() for name in REALISTIC_FILES})
    assert first == committed, (
        f"data/nlu, tests/nlu or tests/nlu_realistic is stale: rerun {REGENERATE} (seed 42)"
    )


def test_other_seed_changes_fillers_not_split(tmp_path):
    a = _generate(tmp_path / "a", seed=42)
    b = _generate(tmp_path / "b", seed=7)
    assert a["train/diagnosis.yml"] != b["train/diagnosis.yml"]
