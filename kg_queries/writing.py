"""Shared pieces of the write path: Cypher for node and relation writes, progress bars,
and the count check that ends every import.

Why: both stores write the same rows and must agree on what an import should leave
behind; writing that once here keeps the embedded and the Neo4j path from drifting.
"""

from __future__ import annotations

from typing import Collection, Dict, FrozenSet, Iterable, Iterator, List, Mapping, Sequence, Tuple, TypeVar

from tqdm import tqdm

from kg_queries import schema
from kg_queries.store import ImportReport, KGImportError

T = TypeVar("T")

# Disease property -> parameter key in a row. ``desc`` is a Cypher keyword, so rows
# carry it as ``description`` and the property is always written with backticks.
PARAM_KEY = {prop: ("description" if prop == "desc" else prop) for prop in schema.DISEASE_PROPERTIES}


def node_row(label: str, name: str, props: dict) -> dict:
    """A parameter row for one node: name, alias and (for diseases) every property."""
    row = {"name": name, "alias": list(props.get("alias", []))}
    for prop, kind in schema.DISEASE_PROPERTIES.items() if label == schema.DISEASE else ():
        row[PARAM_KEY[prop]] = props.get(prop, [] if kind == "list" else "")
    return row


# Two ways to pass a batch of nodes. Rows: ``$rows``, a list of maps, one per node (any
# engine). Columns: one list parameter per key (``$name``, ``$alias`` ...), read by
# position; LadybugDB binds these several times faster than a list of maps, and its
# list positions start at 1.
ROWS_SOURCE = "UNWIND $rows AS r"
COLUMNS_SOURCE = "UNWIND range(1, size($name)) AS i"


def _ref(key: str, columnar: bool, empty: Collection[str] = ()) -> str:
    if key in empty:
        return "[]"
    return f"${key}[i]" if columnar else f"r.{key}"


def _source(columnar: bool) -> str:
    return COLUMNS_SOURCE if columnar else ROWS_SOURCE


def to_columns(rows: Sequence[dict]) -> Tuple[Dict[str, list], FrozenSet[str]]:
    """Rows from :func:`node_row` as one list per key (the columnar batch form).

    Also returns the list-valued keys that are empty in every row: they are left out of
    the columns and written as the literal ``[]``, because LadybugDB cannot type a
    parameter that is a list of empty lists.
    """
    columns = {key: [row[key] for row in rows] for key in rows[0]} if rows else {}
    empty = frozenset(
        key for key, values in columns.items() if isinstance(values[0], list) and not any(values)
    )
    return {k: v for k, v in columns.items() if k not in empty}, empty


def set_clause(label: str, var: str = "n", columnar: bool = False, empty: Collection[str] = ()) -> str:
    """``SET`` assignments for every property of ``label`` from the batch."""
    parts = [f"{var}.alias = {_ref('alias', columnar, empty)}"]
    for prop in schema.node_properties(label):
        parts.append(f"{var}.`{prop}` = {_ref(PARAM_KEY[prop], columnar, empty)}")
    return ", ".join(parts)


def create_nodes_cypher(label: str, columnar: bool = False, empty: Collection[str] = ()) -> str:
    label = schema.check_label(label)
    props = ", ".join(
        [f"name: {_ref('name', columnar)}", f"alias: {_ref('alias', columnar, empty)}"]
        + [f"`{p}`: {_ref(PARAM_KEY[p], columnar, empty)}" for p in schema.node_properties(label)]
    )
    return f"{_source(columnar)} CREATE (:{label} {{{props}}})"


def merge_nodes_cypher(label: str) -> str:
    label = schema.check_label(label)
    return f"{ROWS_SOURCE} MERGE (n:{label} {{name: r.name}}) SET {set_clause(label)}"


def update_nodes_cypher(label: str, columnar: bool = False, empty: Collection[str] = ()) -> str:
    label = schema.check_label(label)
    return (
        f"{_source(columnar)} MATCH (n:{label} {{name: {_ref('name', columnar)}}}) "
        f"SET {set_clause(label, columnar=columnar, empty=empty)}"
    )


def merge_relations_cypher(rel: schema.Relation) -> str:
    return (
        f"UNWIND $rows AS r MATCH (a:{rel.source} {{name: r.s}}) "
        f"MATCH (b:{rel.target} {{name: r.t}}) MERGE (a)-[:{rel.name}]->(b)"
    )


def create_relations_cypher(rel: schema.Relation) -> str:
    """New relations from the columns ``$s`` and ``$t`` (source and target names)."""
    return (
        f"UNWIND range(1, size($s)) AS i MATCH (a:{rel.source} {{name: $s[i]}}) "
        f"MATCH (b:{rel.target} {{name: $t[i]}}) CREATE (a)-[:{rel.name}]->(b)"
    )


def verify_counts(before: Mapping[str, int], report: ImportReport) -> None:
    """Raise :class:`KGImportError` unless every count is ``before`` plus ``report.added``."""
    mismatches = [
        f"{key}: expected {before.get(key, 0) + report.added.get(key, 0)}, found {found}"
        for key, found in report.counts.items()
        if found != before.get(key, 0) + report.added.get(key, 0)
    ]
    if mismatches:
        raise KGImportError("counts after the import do not add up: " + "; ".join(mismatches))


def batches(items: Sequence[T], size: int) -> Iterator[List[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def progress_bar(total: int, desc: str, enabled: bool = True):
    """A tqdm bar on stderr (disabled when ``enabled`` is false)."""
    return tqdm(total=total, desc=desc, unit="row", disable=not enabled, leave=False)


def normalise_alias(value: Iterable[str] | None) -> List[str]:
    return sorted(value or [])
