"""The dictionary scans stay linear in the text: Aho-Corasick overlap resolution, the entity
linker's scan, link and merge, and the graph importer's drug-detail pattern."""

import random
from typing import Any, Dict, List

import pytest
from rasa.shared.nlu.training_data.message import Message

from core.paths import PROJECT_ROOT
from kg_queries import records, schema
from kg_queries.records import parse_drug_detail
from slots.aho_corasick_extractor import AhoCorasickExtractor
from slots.entity_linker import EntityLinker, merge_entities
from slots.link_index import LinkIndex

from .inputs import MAX_MESSAGE_LENGTH, TIME_LIMIT_S, fill, forever, report, slowest

# Names inside names inside names, and names that overlap at either end.
NESTED = [
    "感",
    "感冒",
    "冒",
    "病毒性感冒",
    "病毒",
    "病毒性",
    "性感",
    "毒性",
    "流行性感冒",
    "流感",
    "感冒药",
    "冒汗",
    "发热",
    "热感冒",
    "感冒发热",
    "冒发",
    "性感冒",
    "行性",
    "流行",
]


def _entries(names: List[str], rng: random.Random) -> List[tuple]:
    return sorted(
        (n, rng.choice(["disease", "symptom", "drug"]), n + "病", rng.random() < 0.3) for n in names
    )


def reference_find(extractor: AhoCorasickExtractor, text: str) -> List[Dict[str, Any]]:
    """``find`` as it was: every candidate compared with every kept match."""
    if not extractor.entries:
        return []
    candidates = [
        (end - len(s) + 1, end + 1, s, e, c, a) for end, (s, e, c, a) in extractor.automaton.iter(text)
    ]
    candidates.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
    taken, found = [], []
    for start, end, surface, entity, canonical, is_alias in candidates:
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        found.append(
            {
                "entity": entity,
                "start": start,
                "end": end,
                "value": canonical,
                "text": surface,
                "confidence_entity": 1.0,
                "extractor": "AhoCorasickExtractor",
                "linked": True,
                "link_method": "alias" if is_alias else "exact",
            }
        )
    return sorted(found, key=lambda e: e["start"])


def _random_mixes(parts: List[str], rng: random.Random, count: int = 20) -> List[str]:
    """Longest messages of parts drawn at random."""
    return [fill(forever(lambda: rng.choice(parts)), "x") for _ in range(count)]


def _mixes(parts: List[str], rng: random.Random) -> List[str]:
    """Longest messages: each part repeated, and random mixes of the parts."""
    return [fill([part] * MAX_MESSAGE_LENGTH, "x") for part in parts] + _random_mixes(parts, rng)


def test_overlap_resolution_is_fast_on_nested_names():
    rng = random.Random(0)
    extractor = AhoCorasickExtractor({}, None, None, _entries(NESTED, rng))
    texts = _mixes(NESTED, rng)
    worst = slowest(extractor.find, texts)
    report("Aho-Corasick extractor, nested names", len(texts), worst)
    assert worst < TIME_LIMIT_S


@pytest.mark.parametrize("seed", range(5))
def test_overlap_resolution_is_unchanged(seed):
    rng = random.Random(seed)
    extractor = AhoCorasickExtractor(
        {}, None, None, _entries(rng.sample(NESTED, rng.randint(1, len(NESTED))), rng)
    )
    for _ in range(300):
        text = "".join(rng.choice(NESTED + ["x", "，"]) for _ in range(rng.randint(0, 15)))
        assert extractor.find(text) == reference_find(extractor, text), text


def reference_merge(entities: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """``merge_entities`` as it was: every mention compared with every kept one."""

    def priority(item):
        order, e = item
        return (
            not e.get("linked", False),
            -(e["end"] - e["start"]),
            -float(e.get("confidence_entity") or 0.0),
            order,
        )

    kept: List[Dict[str, Any]] = []
    for _, entity in sorted(enumerate(entities), key=priority):
        if not any(entity["start"] < k["end"] and k["start"] < entity["end"] for k in kept):
            kept.append(entity)
    return sorted(kept, key=lambda e: (e["start"], e["end"]))


@pytest.mark.parametrize("seed", range(5))
def test_merging_is_unchanged(seed):
    rng = random.Random(seed)
    for _ in range(300):
        entities = []
        for _ in range(rng.randint(0, 12)):
            start = rng.randint(0, 20)
            entities.append(
                {
                    "entity": "disease",
                    "start": start,
                    "end": start + rng.randint(1, 6),
                    "linked": rng.random() < 0.5,
                    "confidence_entity": rng.choice([0.5, 0.8, 1.0]),
                }
            )
        assert merge_entities(entities) == reference_merge(entities)


@pytest.fixture(scope="module")
def index():
    """The link index of the sample graph (``data/kg``)."""
    data = records.load_files(sorted((PROJECT_ROOT / "data" / "kg").glob("*.json")))
    table = {
        label: [(name, node["alias"]) for name, node in nodes.items()] for label, nodes in data.nodes.items()
    }
    return LinkIndex.from_name_table(table, dict(schema.ENTITY_TYPE))


def _typo(name: str, rng: random.Random, alphabet: str) -> str:
    i = rng.randrange(len(name))
    return name[:i] + rng.choice(alphabet) + name[i + 1 :]


def test_scan_link_and_merge_are_fast_on_text_made_of_graph_names(index):
    rng = random.Random(1)
    names = [surface for _, _, surface, _ in index.entries]
    diseases = [surface for etype, _, surface, _ in index.entries if etype == "disease"]
    alphabet = "".join(sorted(set("".join(names))))
    parts = rng.sample(diseases, 40) + [_typo(n, rng, alphabet) for n in rng.sample(diseases, 40)]
    texts = _mixes(parts, rng) + _random_mixes(names, rng) + _random_mixes(list(alphabet), rng, 5)
    linker = EntityLinker({}, None, None, index)
    extractor = AhoCorasickExtractor(
        {}, None, None, sorted({(s, t, c, k == "alias") for t, c, s, k in index.entries})
    )

    def parse(text: str) -> None:
        """The linker as in the pipeline: dictionary matches plus one neural mention of the whole text."""
        whole = {
            "entity": "disease",
            "start": 0,
            "end": len(text),
            "value": text,
            "confidence_entity": 0.6,
            "extractor": "BertBilstmCrfExtractor",
        }
        linker.process([Message(data={"text": text, "entities": extractor.find(text) + [whole]})])

    for label, function in (
        ("scan", index.scan),
        ("link as disease", lambda t: index.link(t, "disease")),
        ("link as symptom", lambda t: index.link(t, "symptom")),
        ("process", parse),
    ):
        worst = slowest(function, texts)
        report(f"entity linker {label}, graph names", len(texts), worst)
        assert worst < TIME_LIMIT_S


def test_drug_detail_pattern_is_linear_on_long_fields():
    # Graph data, not user text, but a field can be long: `.*?` tries each split point once,
    # `[^()（）]+` cannot cross a bracket and `\s*$` is tried once after each closing bracket.
    units = ["(", "（", "(a", "(a)", "(a) ", "a)", "(a)(", "( )", "药(", "（药）x"]
    texts = [fill([unit] * MAX_MESSAGE_LENGTH, "x") for unit in units]
    texts += ["(" + " " * 998 + ")", "(a)" + " " * 996 + "x", "(" + "a" * 999]
    worst = slowest(parse_drug_detail, texts)
    report("graph importer drug detail", len(texts), worst)
    assert worst < TIME_LIMIT_S
