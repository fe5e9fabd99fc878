"""Disease records whose names and texts hold every character real hospital data throws
at an import, generated with a fixed seed, and a reader that gets a whole graph back.

Why: the public graph's names carry commas (注射用1,6-二磷酸果糖), brackets, quotes,
full-width punctuation and slashes, and crawled texts carry line breaks and tabs; each
store must give every one of them back exactly, so the tests compare everything.
"""

from __future__ import annotations

import random
from typing import Dict, List, Set, Tuple

from kg_queries import schema, writing
from kg_queries.store import GraphStore

# Pieces names and texts are built from: CSV and Cypher specials, brackets of both
# widths, emoji, full-width punctuation, line breaks, and plain Chinese/Latin/digits.
PIECES: Tuple[str, ...] = (
    ",",
    '"',
    "'",
    '""',
    "\n",
    "\r",
    "\r\n",
    "\t",
    "\\",
    "\\'",
    "'\\",
    "(",
    ")",
    "（",
    "）",
    "[",
    "]",
    "{",
    "}",
    "😀",
    "🩺",
    "，",
    "。",
    "、",
    "；",
    "：",
    "？",
    "！",
    "“",
    "”",
    "‘",
    "’",
    "/",
    "#",
    "$",
    "|",
    "MATCH (n) DETACH DELETE n",
    "'}) MATCH (n) DETACH DELETE n //",
    "注射用1,6-二磷酸果糖",
    "NULL",
    "\\N",
    "感冒",
    "胃",
    "肝",
    "炎",
    "片",
    "Ig",
    "A",
    "z",
    "0",
    "19",
)
NUL = "\x00"  # the embedded store carries it; FalkorDB's Bolt cuts strings at it


def _mix(rng: random.Random, pieces: Tuple[str, ...], most: int) -> str:
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, most)))


def tricky_records(diseases: int, seed: int = 0, nul: bool = True, text_pieces: int = 6) -> List[dict]:
    """``diseases`` records in the public format, every name and text built from
    :data:`PIECES` (plus NUL when ``nul``); names end up unique per label."""
    rng = random.Random(seed)
    pieces = PIECES + ((NUL,) if nul else ())

    def name(core: str, index: int) -> str:
        # A piece may lead or trail (a leading # or $ included); records strip whitespace.
        return f"{_mix(rng, pieces, 3)}{core}{index}{_mix(rng, pieces, 3)}".strip()

    def names(pool: List[str], most: int) -> List[str]:
        return rng.sample(pool, rng.randint(0, most))

    symptoms = [name("症", i) for i in range(120)]
    drugs = [name("药", i) for i in range(80)]
    foods = [name("食", i) for i in range(60)]
    checks = [name("查", i) for i in range(40)]
    departments = [name("科", i) for i in range(15)]
    producers = [name("厂", i) for i in range(20)]
    disease_names = [name("病", i) for i in range(diseases)]
    out = []
    for index, disease in enumerate(disease_names):
        record = {
            "name": disease,
            "alias": [name("别名", index * 2), name("别名", index * 2 + 1)],
            "symptom": names(symptoms, 4),
            "acompany": names(disease_names, 2),
            "cure_department": rng.sample(departments, rng.randint(1, 2)),
            "common_drug": names(drugs, 2),
            "recommand_drug": names(drugs, 2),
            "check": names(checks, 2),
            "do_eat": names(foods, 2),
            "not_eat": names(foods, 2),
            "recommand_eat": names(foods, 2),
            "cure_way": [name("疗法", index), _mix(rng, pieces, 3) + "手术"],
            "category": [name("类", index % 7)],
        }
        for prop in ("desc", "cause", "prevent", "cured_prob", "get_way"):
            record[prop] = f"{prop}{index}" + _mix(rng, pieces, text_pieces) + "。"
        # drug_detail: "producer(drug)", the drug without brackets so that it parses back
        plain = [d for d in drugs if not any(b in d for b in "()（）")]
        record["drug_detail"] = [f"{rng.choice(producers)}({rng.choice(plain)})"]
        out.append(record)
    # an alias record for a node that is not a disease
    out.append({"label": schema.SYMPTOM, "name": symptoms[0], "alias": [name("症别名", 0)]})
    return out


def read_back(store: GraphStore) -> Tuple[Dict[str, Dict[str, dict]], Dict[str, Set[Tuple[str, str]]]]:
    """Every node (as a :func:`kg_queries.writing.node_row`) and every relation pair in ``store``."""
    nodes: Dict[str, Dict[str, dict]] = {}
    for label in schema.LABELS:
        props = ", ".join(
            ["n.alias AS alias"]
            + [f"n.`{p}` AS {writing.PARAM_KEY[p]}" for p in schema.node_properties(label)]
        )
        rows = store.run(f"MATCH (n:{label}) RETURN n.name AS name, {props}")
        nodes[label] = {}
        for row in rows:
            row["alias"] = writing.normalise_alias(row["alias"])
            nodes[label][row["name"]] = row
    relations = {
        rel.name: {
            (r["s"], r["t"])
            for r in store.run(
                f"MATCH (a:{rel.source})-[:{rel.name}]->(b:{rel.target}) RETURN a.name AS s, b.name AS t"
            )
        }
        for rel in schema.RELATIONS
    }
    return nodes, relations


def expected_graph(data) -> Tuple[Dict[str, Dict[str, dict]], Dict[str, Set[Tuple[str, str]]]]:
    """What :func:`read_back` must return for a store holding exactly ``data``."""
    nodes = {
        label: {name: writing.node_row(label, name, props) for name, props in data.nodes[label].items()}
        for label in schema.LABELS
    }
    return nodes, {rel: set(pairs) for rel, pairs in data.relations.items()}
