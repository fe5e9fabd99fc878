"""Consistency report on a stored knowledge graph (``python -m bot kg check``).

The graph is read once into a :class:`Snapshot` (node names, disease properties,
relation pairs) with plain ``MATCH ... RETURN`` statements that every engine runs
alike; every check is then a pure function of the snapshot. The report holds:

* counts per label and relation;
* nodes without any relation;
* diseases known only by name (named in an ``acompany`` list, no record of their own);
* completeness of each disease property and each disease relation (share of the other
  diseases that have it);
* contradictions — a food a disease should both eat and avoid, a disease that
  accompanies itself, a cycle in the department hierarchy (``belongs_to``) — which make
  the command exit non-zero;
* warnings — near-duplicate names (equal after :func:`core.normalise.near_duplicate_key`:
  糖尿病 and 糖尿 share a key, 癌症 and 癌 do not), relations stored twice, and names
  (or aliases) that will confuse matching: leading or trailing whitespace, control
  characters, zero-width and other invisible format characters, and names that are
  empty after normalisation;
* surface forms that name more than one node of a label (a node's name that is another
  node's alias, an alias two nodes share), with the node the linker answers from, and
  names that are nodes of two labels (头痛 a disease and a symptom).

Why: a graph that imports cleanly can still answer wrongly — a food to eat and avoid,
a name with a stray zero-width space that no patient can type — and the people who
curate the data need one list of what to fix.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Tuple

from core.normalise import match_key, near_duplicate_key
from kg_queries import schema, writing
from kg_queries.store import GraphStore

Pair = Tuple[str, str]

# Unicode categories of characters nobody sees: control (Cc) and format (Cf: zero-width
# spaces and joiners, byte-order marks, bidirectional marks, soft hyphens).
CONTROL, INVISIBLE = "Cc", "Cf"

# Relations that start at a disease: having at least one counts towards completeness.
DISEASE_RELATIONS: Tuple[str, ...] = tuple(r.name for r in schema.RELATIONS if r.source == schema.DISEASE)


@dataclass
class Snapshot:
    """Everything the checks look at, read from a store in one pass."""

    names: Dict[str, List[str]]
    disease_properties: Dict[str, Dict[str, object]]
    pairs: Dict[str, List[Pair]]
    counts: Dict[str, int]
    aliases: Dict[str, Dict[str, List[str]]] = field(default_factory=dict)  # label -> name -> aliases


def take_snapshot(store: GraphStore) -> Snapshot:
    """Read node names, disease properties and relation pairs from ``store``."""
    names: Dict[str, List[str]] = {}
    aliases: Dict[str, Dict[str, List[str]]] = {}
    for label in schema.LABELS:
        rows = store.run(f"MATCH (n:{label}) RETURN n.name AS name, n.alias AS alias")
        names[label] = [r["name"] for r in rows]
        aliases[label] = {r["name"]: writing.normalise_alias(r["alias"]) for r in rows}
    columns = ", ".join(f"d.`{prop}` AS {writing.PARAM_KEY[prop]}" for prop in schema.DISEASE_PROPERTIES)
    properties = {}
    for row in store.run(f"MATCH (d:{schema.DISEASE}) RETURN d.name AS name, {columns}"):
        name = row.pop("name")
        properties[name] = {prop: row[writing.PARAM_KEY[prop]] for prop in schema.DISEASE_PROPERTIES}
    pairs = {}
    for rel in schema.RELATIONS:
        rows = store.run(
            f"MATCH (a:{rel.source})-[:{rel.name}]->(b:{rel.target}) RETURN a.name AS s, b.name AS t"
        )
        pairs[rel.name] = [(r["s"], r["t"]) for r in rows]
    return Snapshot(names, properties, pairs, store.counts(), aliases)


# -- checks: pure functions of a snapshot ------------------------------------------------


def isolated_nodes(snapshot: Snapshot) -> Dict[str, List[str]]:
    """Per label, the nodes that take part in no relation at all."""
    linked: Dict[str, set] = defaultdict(set)
    for rel in schema.RELATIONS:
        for source, target in snapshot.pairs[rel.name]:
            linked[rel.source].add(source)
            linked[rel.target].add(target)
    return {
        label: sorted(set(snapshot.names[label]) - linked[label])
        for label in schema.LABELS
        if set(snapshot.names[label]) - linked[label]
    }


def _empty(value) -> bool:
    return value is None or value == "" or value == []


def stub_diseases(snapshot: Snapshot) -> List[str]:
    """Diseases known only by name: no property and no outgoing relation. They come from
    ``acompany`` lists naming a disease that has no record of its own."""
    with_relations = {source for rel in DISEASE_RELATIONS for source, _ in snapshot.pairs[rel]}
    return sorted(
        name
        for name, props in snapshot.disease_properties.items()
        if name not in with_relations and all(_empty(v) for v in props.values())
    )


def completeness(snapshot: Snapshot) -> Dict[str, Tuple[int, float]]:
    """``field -> (diseases missing it, percent that have it)`` for every disease property
    and every relation that starts at a disease, over the diseases that are not stubs."""
    stubs = set(stub_diseases(snapshot))
    diseases = {n: p for n, p in snapshot.disease_properties.items() if n not in stubs}
    total = len(diseases)
    out: Dict[str, Tuple[int, float]] = {}
    for prop in schema.DISEASE_PROPERTIES:
        missing = sum(1 for props in diseases.values() if _empty(props.get(prop)))
        out[prop] = (missing, 100.0 * (total - missing) / total if total else 0.0)
    for rel in DISEASE_RELATIONS:
        having = {source for source, _ in snapshot.pairs[rel]} & set(diseases)
        out[rel] = (total - len(having), 100.0 * len(having) / total if total else 0.0)
    return out


def eat_conflicts(snapshot: Snapshot) -> List[Pair]:
    """``(disease, food)`` where the food is both in ``do_eat`` and ``not_eat``."""
    return sorted(set(snapshot.pairs["do_eat"]) & set(snapshot.pairs["not_eat"]))


def self_accompanying(snapshot: Snapshot) -> List[str]:
    """Diseases listed among their own accompanying diseases."""
    return sorted({s for s, t in snapshot.pairs["acompany_with"] if s == t})


def department_cycles(snapshot: Snapshot) -> List[List[str]]:
    """Cycles in the ``belongs_to`` hierarchy, each rotated to start at its smallest name."""
    return find_cycles(snapshot.pairs["belongs_to"])


def find_cycles(edges: Iterable[Pair]) -> List[List[str]]:
    """Distinct directed cycles reachable by depth-first search (each back edge gives one)."""
    graph: Dict[str, List[str]] = defaultdict(list)
    for source, target in edges:
        graph[source].append(target)
    state: Dict[str, int] = {}  # 1 = on the current path, 2 = finished
    cycles = set()
    for root in sorted(graph):
        if root in state:
            continue
        path, stack = [root], [iter(sorted(graph[root]))]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                cycle = path[path.index(nxt) :]
                start = cycle.index(min(cycle))
                cycles.add(tuple(cycle[start:] + cycle[:start]))
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return [list(c) for c in sorted(cycles)]


def near_duplicates(snapshot: Snapshot) -> Dict[str, List[List[str]]]:
    """Per label, groups of two or more names with the same :func:`core.normalise.near_duplicate_key`."""
    out = {}
    for label in schema.LABELS:
        groups: Dict[str, List[str]] = defaultdict(list)
        for name in snapshot.names[label]:
            groups[near_duplicate_key(name)].append(name)
        found = sorted(sorted(g) for g in groups.values() if len(g) > 1)
        if found:
            out[label] = found
    return out


CONFUSING_KINDS: Tuple[str, ...] = (
    "leading or trailing whitespace",
    "control characters",
    "zero-width or invisible characters",
    "empty after normalisation",
)


def name_confusions(name: str) -> List[str]:
    """The :data:`CONFUSING_KINDS` that ``name`` shows (none for a clean name)."""
    categories = {unicodedata.category(ch) for ch in name}
    found = (
        name != name.strip(),
        CONTROL in categories,
        INVISIBLE in categories,
        not near_duplicate_key(name),
    )
    return [kind for kind, hit in zip(CONFUSING_KINDS, found) if hit]


def confusing_names(snapshot: Snapshot) -> Dict[str, List[Tuple[str, str, str]]]:
    """Per kind of trouble, ``(label, name, owner)`` of every name or alias showing it;
    ``owner`` is the node's name for an alias, ``""`` for a name."""
    out: Dict[str, List[Tuple[str, str, str]]] = defaultdict(list)
    for label in schema.LABELS:
        for name in snapshot.names[label]:
            entries = [(name, "")] + [
                (alias, name) for alias in snapshot.aliases.get(label, {}).get(name, [])
            ]
            for value, owner in entries:
                for kind in name_confusions(value):
                    out[kind].append((label, value, owner))
    return {kind: sorted(out[kind]) for kind in CONFUSING_KINDS if out[kind]}


def duplicate_relations(snapshot: Snapshot) -> Dict[str, int]:
    """Per relation type, how many extra copies of an identical pair are stored."""
    out = {}
    for rel, pairs in snapshot.pairs.items():
        extra = sum(n - 1 for n in Counter(pairs).values() if n > 1)
        if extra:
            out[rel] = extra
    return out


def surface_forms(snapshot: Snapshot, label: str) -> Dict[str, List[Tuple[str, str, str]]]:
    """``match_key`` -> ``(node name, "name" | "alias", surface)`` of every name and alias of
    ``label``, in graph order (the key the entity linker looks names up by)."""
    out: Dict[str, List[Tuple[str, str, str]]] = defaultdict(list)
    for name in snapshot.names[label]:
        entries = [(name, "name")] + [(a, "alias") for a in snapshot.aliases.get(label, {}).get(name, [])]
        for surface, kind in entries:
            key = match_key(surface)
            if key and (name, kind, surface) not in out[key]:
                out[key].append((name, kind, surface))
    return out


@dataclass(frozen=True)
class Collision:
    """One surface form (after ``match_key``) naming several nodes of a label."""

    surface: str
    nodes: Tuple[Tuple[str, str, str], ...]  # (node name, "name" | "alias", surface), sorted
    linked_to: str  # the node the entity linker answers from for this exact surface

    def as_dict(self) -> Dict[str, object]:
        return {
            "surface": self.surface,
            "nodes": [{"name": n, "as": kind, "surface": sf} for n, kind, sf in self.nodes],
            "linked_to": self.linked_to,
        }

    def format(self) -> str:
        return (
            f"{self.surface}: "
            + " | ".join(f"{n} ({kind})" for n, kind, _ in self.nodes)
            + f" -> {self.linked_to}"
        )


def alias_collisions(snapshot: Snapshot) -> Dict[str, List[Collision]]:
    """Per label, every surface form (after ``match_key``) that names more than one node: one
    node's name that is another's alias (甲亢, a disease of its own and an alias of
    甲状腺功能亢进症), or an alias two nodes share. ``linked_to`` is the node the entity
    linker answers from for that exact surface: the node whose own name it is, else the first
    node listing it as an alias in the graph's order (``slots/link_index.py``)."""
    out: Dict[str, List[Collision]] = {}
    for label in schema.LABELS:
        found = []
        for entries in surface_forms(snapshot, label).values():
            nodes = list(dict.fromkeys(name for name, _, _ in entries))
            if len(nodes) < 2:
                continue
            own = [name for name, kind, _ in entries if kind == "name"]
            # listed sorted (the same on every store); the link follows the graph's order
            found.append(Collision(entries[0][2], tuple(sorted(entries)), own[0] if own else nodes[0]))
        if found:
            out[label] = sorted(found, key=lambda c: c.surface)
    return out


# Labels whose names patients use for the same words (头痛 is a symptom and a disease).
OVERLAP_PAIRS: Tuple[Pair, ...] = (
    (schema.DISEASE, schema.SYMPTOM),
    (schema.DISEASE, schema.CHECK),
    (schema.DRUG, schema.FOOD),
)


def shared_names(snapshot: Snapshot) -> Dict[str, List[str]]:
    """``"A/B"`` -> names (after ``match_key``) that are a node of both labels, sorted."""
    out = {}
    for a, b in OVERLAP_PAIRS:
        keys_b = {match_key(n) for n in snapshot.names[b]} - {""}
        both = sorted({n for n in snapshot.names[a] if match_key(n) in keys_b})
        if both:
            out[f"{a}/{b}"] = both
    return out


# -- the report ------------------------------------------------------------------------


@dataclass
class CheckReport:
    counts: Dict[str, int]
    diseases: int
    stubs: List[str]
    isolated: Dict[str, List[str]]
    completeness: Dict[str, Tuple[int, float]]
    eat_conflicts: List[Pair]
    self_accompanying: List[str]
    department_cycles: List[List[str]]
    near_duplicates: Dict[str, List[List[str]]]
    duplicate_relations: Dict[str, int] = field(default_factory=dict)
    confusing_names: Dict[str, List[Tuple[str, str, str]]] = field(default_factory=dict)
    alias_collisions: Dict[str, List[Collision]] = field(default_factory=dict)
    shared_names: Dict[str, List[str]] = field(default_factory=dict)

    @property
    def contradictions(self) -> int:
        return len(self.eat_conflicts) + len(self.self_accompanying) + len(self.department_cycles)

    @property
    def ok(self) -> bool:
        return self.contradictions == 0

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "counts": self.counts,
            "diseases": self.diseases,
            "stub_diseases": self.stubs,
            "isolated_nodes": self.isolated,
            "completeness": {
                k: {"missing": m, "percent": round(p, 2)} for k, (m, p) in self.completeness.items()
            },
            "contradictions": {
                "total": self.contradictions,
                "food_eat_and_avoid": [list(p) for p in self.eat_conflicts],
                "self_accompanying": self.self_accompanying,
                "department_cycles": self.department_cycles,
            },
            "near_duplicates": self.near_duplicates,
            "duplicate_relations": self.duplicate_relations,
            "confusing_names": {
                kind: [
                    {"label": label, "name": name, "alias_of": owner or None}
                    for label, name, owner in entries
                ]
                for kind, entries in self.confusing_names.items()
            },
            "alias_collisions": {
                label: [c.as_dict() for c in found] for label, found in self.alias_collisions.items()
            },
            "shared_names": self.shared_names,
        }

    def format(self, show: int = 10) -> str:
        """Human-readable report; lists are cut to ``show`` entries."""

        def cut(items: List[str]) -> str:
            more = f" ... (+{len(items) - show})" if len(items) > show else ""
            return ", ".join(items[:show]) + more

        width = max(len(k) for k in self.counts) if self.counts else 10
        lines = ["counts:"]
        lines += [f"  {k.ljust(width)}  {v:>9}" for k, v in self.counts.items()]
        lines.append(f"nodes without relations: {sum(len(v) for v in self.isolated.values())}")
        lines += [f"  {label}: {len(names)}: {cut(names)}" for label, names in self.isolated.items()]
        lines.append(
            f"diseases known only by name (no record, e.g. from acompany): {len(self.stubs)}"
            + (f": {cut(self.stubs)}" if self.stubs else "")
        )
        lines.append(f"disease completeness ({self.diseases - len(self.stubs)} diseases with a record):")
        fw = max((len(k) for k in self.completeness), default=10)
        lines += [f"  {k.ljust(fw)}  {p:6.1f}%  missing {m}" for k, (m, p) in self.completeness.items()]
        lines.append(f"contradictions: {self.contradictions}")
        lines.append(
            f"  food both in do_eat and not_eat: {len(self.eat_conflicts)}"
            + (f": {cut([f'{d}/{f}' for d, f in self.eat_conflicts])}" if self.eat_conflicts else "")
        )
        lines.append(
            f"  disease accompanying itself: {len(self.self_accompanying)}"
            + (f": {cut(self.self_accompanying)}" if self.self_accompanying else "")
        )
        lines.append(
            f"  department cycles (belongs_to): {len(self.department_cycles)}"
            + (
                f": {cut([' -> '.join(c + c[:1]) for c in self.department_cycles])}"
                if self.department_cycles
                else ""
            )
        )
        groups = sum(len(v) for v in self.near_duplicates.values())
        lines.append(f"near-duplicate names: {groups} groups")
        for label, found in self.near_duplicates.items():
            lines.append(f"  {label}: {cut([' | '.join(g) for g in found])}")
        if self.duplicate_relations:
            lines.append(
                "relations stored more than once: "
                + ", ".join(f"{k} +{v}" for k, v in self.duplicate_relations.items())
            )
        lines.append(
            f"names that will confuse matching: {sum(len(v) for v in self.confusing_names.values())}"
        )
        for kind, entries in self.confusing_names.items():
            shown = [
                f"{label} {name!r}" + (f" (alias of {owner!r})" if owner else "")
                for label, name, owner in entries
            ]
            lines.append(f"  {kind}: {len(entries)}: {cut(shown)}")
        collisions = sum(len(v) for v in self.alias_collisions.values())
        lines.append(f"surface forms naming more than one node (name vs alias, alias vs alias): {collisions}")
        for label, collided in self.alias_collisions.items():
            lines.append(f"  {label}: {len(collided)}: {cut([c.format() for c in collided])}")
        lines.append(f"names that are nodes of two labels: {sum(len(v) for v in self.shared_names.values())}")
        for pair, names in self.shared_names.items():
            lines.append(f"  {pair}: {len(names)}: {cut(names)}")
        lines.append(
            "OK: no contradictions" if self.ok else f"FAILED: {self.contradictions} contradiction(s)"
        )
        return "\n".join(lines)


def check_snapshot(snapshot: Snapshot) -> CheckReport:
    return CheckReport(
        counts=snapshot.counts,
        diseases=len(snapshot.disease_properties),
        stubs=stub_diseases(snapshot),
        isolated=isolated_nodes(snapshot),
        completeness=completeness(snapshot),
        eat_conflicts=eat_conflicts(snapshot),
        self_accompanying=self_accompanying(snapshot),
        department_cycles=department_cycles(snapshot),
        near_duplicates=near_duplicates(snapshot),
        duplicate_relations=duplicate_relations(snapshot),
        confusing_names=confusing_names(snapshot),
        alias_collisions=alias_collisions(snapshot),
        shared_names=shared_names(snapshot),
    )


def check_store(store: GraphStore) -> CheckReport:
    """Read ``store`` and run every check."""
    return check_snapshot(take_snapshot(store))


# -- a proposed canonical map (``kg check --propose-canonical FILE``) ------------------------


def propose_canonical(snapshot: Snapshot) -> Dict[str, Dict[str, str]]:
    """A canonical-name map (``kg import --canonical``) that resolves the report's merges by
    one documented rule, for an operator to review:

    1. a node whose own name is another node's alias (甲亢, an entry and an alias of
       甲状腺功能亢进症) merges into the node listing it as an alias, the record that knows
       both names (the first in graph order when several do, as the linker answers);
    2. names equal after ``near_duplicate_key`` (低血糖 | 低血糖症) merge into the one with the
       most aliases, then the longest name, then the first in graph order.

    Chains are followed to their end, so every name maps to a node that stays."""
    out: Dict[str, Dict[str, str]] = {}
    for label in schema.LABELS:
        order = {name: i for i, name in enumerate(snapshot.names[label])}
        aliases = snapshot.aliases.get(label, {})
        mapping: Dict[str, str] = {}
        for entries in surface_forms(snapshot, label).values():
            own = [name for name, kind, _ in entries if kind == "name"]
            listing = [name for name, kind, _ in entries if kind == "alias" and name not in own]
            if own and listing:
                for name in own:
                    mapping.setdefault(name, listing[0])
        for group in near_duplicates(snapshot).get(label, []):
            keep = min(group, key=lambda n: (-len(aliases.get(n, [])), -len(n), order.get(n, 0)))
            for name in group:
                if name != keep:
                    mapping.setdefault(name, keep)
        resolved: Dict[str, str] = {}
        for name in mapping:
            target, seen = mapping[name], {name}
            while target in mapping and target not in seen:
                seen.add(target)
                target = mapping[target]
            if target != name and target not in mapping:  # (a cycle stays unmerged)
                resolved[name] = target
        if resolved:
            out[label] = dict(sorted(resolved.items()))
    return out
