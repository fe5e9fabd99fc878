"""Merge nodes an operator names as one: ``python -m bot kg import --canonical MAP.yml``.

Why: public disease lists hold 甲亢, 乙肝 and 脚气 as entries of their own while other sources
list them as aliases of 甲状腺功能亢进症, 乙型病毒性肝炎 and 足癣. Both stay separate nodes,
and which one the bot answers from depends on the linker's tie-break (README, "When one
surface form names several nodes"); ``kg check`` lists every such collision. The map says
which name is the node, per label::

    Disease:
      甲亢: 甲状腺功能亢进症
      脚气: 足癣

and the importer merges before writing: the other node's name becomes an alias of the
canonical node, its aliases are added, its properties fill the canonical node's empty ones
(the canonical node's own values win), and every relation to or from it is moved to the
canonical node. The merge is applied to the parsed data, so an import with ``--replace`` or
into a fresh store is the same as data that never had the duplicate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List

import yaml

from kg_queries import schema
from kg_queries.records import GraphData

CanonicalMap = Dict[str, Dict[str, str]]  # label -> {name to merge: canonical name}


class CanonicalMapError(ValueError):
    """The map cannot be applied as written (unknown label, chain, empty name)."""


def load_map(path: Path) -> CanonicalMap:
    """Read and check a canonical-name map (YAML or JSON: ``{label: {name: canonical}}``)."""
    text = Path(path).read_text(encoding="utf-8")
    raw = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    return check_map(raw or {})


def check_map(raw: object) -> CanonicalMap:
    if not isinstance(raw, dict):
        raise CanonicalMapError("the canonical map must be a mapping of label -> {name: canonical}")
    out: CanonicalMap = {}
    for label, names in raw.items():
        if label not in schema.LABELS:
            raise CanonicalMapError(f"unknown label {label!r} (one of {', '.join(schema.LABELS)})")
        if not isinstance(names, dict):
            raise CanonicalMapError(f"{label}: expected a mapping of name -> canonical name")
        mapping: Dict[str, str] = {}
        for name, canonical in names.items():
            if not isinstance(name, str) or not isinstance(canonical, str):
                raise CanonicalMapError(f"{label}: names must be text ({name!r} -> {canonical!r})")
            name, canonical = name.strip(), canonical.strip()
            if not name or not canonical or name == canonical:
                raise CanonicalMapError(f"{label}: {name!r} -> {canonical!r} is not a merge")
            mapping[name] = canonical
        chained = sorted(set(mapping) & set(mapping.values()))
        if chained:
            raise CanonicalMapError(
                f"{label}: {chained} are both merged away and canonical; map each to the end name"
            )
        out[label] = mapping
    return out


def apply(data: GraphData, mapping: CanonicalMap) -> List[str]:
    """Merge in place; returns one line per merge (and per name the data does not hold).

    Relations are moved in one pass per relation type for all of a label's merges (a
    hospital's map merges hundreds of names over ~300,000 relations)."""
    notes: List[str] = []
    for label, names in mapping.items():
        nodes = data.nodes[label]
        merged: Dict[str, str] = {}
        for name, canonical in names.items():
            node = nodes.pop(name, None)
            if node is None:
                notes.append(f"{label} {name!r}: not in the data (nothing merged into {canonical!r})")
                continue
            target = nodes.get(canonical, {})
            fill = {k: v for k, v in node.items() if k != "alias" and target.get(k) in (None, "", [])}
            data.add_node(label, canonical, [name, *node.get("alias", [])], **fill)
            merged[name] = canonical
        moved = _move_relations(data, label, merged)
        notes += [
            f"{label} {name!r} merged into {canonical!r} ({moved.get(name, 0)} relations moved)"
            for name, canonical in merged.items()
        ]
    return notes


def _move_relations(data: GraphData, label: str, merged: Dict[str, str]) -> Dict[str, int]:
    """Point every relation end of ``label`` named in ``merged`` at its canonical node;
    the number of relations moved per merged name."""
    moved: Dict[str, int] = {}
    if not merged:
        return moved
    for rel in schema.RELATIONS:
        if label not in (rel.source, rel.target):
            continue
        pairs = data.relations[rel.name]
        touched = [
            (s, t)
            for s, t in pairs
            if (rel.source == label and s in merged) or (rel.target == label and t in merged)
        ]
        for s, t in touched:
            pairs.discard((s, t))
            s2 = merged.get(s, s) if rel.source == label else s
            t2 = merged.get(t, t) if rel.target == label else t
            if not (rel.source == rel.target and s2 == t2):  # a merge never makes a node its own relative
                pairs.add((s2, t2))
            old = s if rel.source == label and s in merged else t
            moved[old] = moved.get(old, 0) + 1
    return moved
