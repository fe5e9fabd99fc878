"""Shared pieces of the write path: Cypher for node upserts and progress bars."""
from __future__ import annotations

from typing import Iterable, Iterator, List, Sequence, TypeVar

from tqdm import tqdm

from kg_queries import schema

T = TypeVar("T")

# Disease property -> parameter key in a row. ``desc`` is a Cypher keyword, so rows
# carry it as ``description`` and the property is always written with backticks.
PARAM_KEY = {prop: ("description" if prop == "desc" else prop) for prop in schema.DISEASE_PROPERTIES}


def node_row(label: str, name: str, props: dict) -> dict:
    """A parameter row for one node: name, alias and (for diseases) every property."""
    row = {"name": name, "alias": list(props.get("alias", []))}
    for prop, kind in (schema.DISEASE_PROPERTIES.items() if label == schema.DISEASE else ()):
        row[PARAM_KEY[prop]] = props.get(prop, [] if kind == "list" else "")
    return row


def set_clause(label: str, var: str = "n") -> str:
    """``SET`` assignments for every property of ``label`` from row ``r``."""
    parts = [f"{var}.alias = r.alias"]
    for prop in schema.node_properties(label):
        parts.append(f"{var}.`{prop}` = r.{PARAM_KEY[prop]}")
    return ", ".join(parts)


def create_nodes_cypher(label: str) -> str:
    label = schema.check_label(label)
    props = ", ".join(["name: r.name", "alias: r.alias"]
                      + [f"`{p}`: r.{PARAM_KEY[p]}" for p in schema.node_properties(label)])
    return f"UNWIND $rows AS r CREATE (:{label} {{{props}}})"


def merge_nodes_cypher(label: str) -> str:
    label = schema.check_label(label)
    return f"UNWIND $rows AS r MERGE (n:{label} {{name: r.name}}) SET {set_clause(label)}"


def update_nodes_cypher(label: str) -> str:
    label = schema.check_label(label)
    return f"UNWIND $rows AS r MATCH (n:{label} {{name: r.name}}) SET {set_clause(label)}"


def merge_relations_cypher(rel: schema.Relation) -> str:
    return (f"UNWIND $rows AS r MATCH (a:{rel.source} {{name: r.s}}) "
            f"MATCH (b:{rel.target} {{name: r.t}}) MERGE (a)-[:{rel.name}]->(b)")


def batches(items: Sequence[T], size: int) -> Iterator[List[T]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def progress_bar(total: int, desc: str, enabled: bool = True):
    """A tqdm bar on stderr (disabled when ``enabled`` is false)."""
    return tqdm(total=total, desc=desc, unit="row", disable=not enabled, leave=False)


def normalise_alias(value: Iterable[str] | None) -> List[str]:
    return sorted(value or [])
