"""The one interface of every graph store: the base class, its errors and its reports.

Callers (the importer, the question API, the guard, the CLI) only see :class:`GraphStore`:
``run(cypher, params)`` returning plain dict rows, ``import_data`` for bulk loads,
and one typed error, :class:`KGUnavailableError`, when the store cannot answer.

Why a module of its own: the two stores (:mod:`kg_queries.embedded_store`,
:mod:`kg_queries.neo4j_store`) import only this, and :mod:`kg_queries.factory` (which
picks one from configuration) imports them, so no import goes both ways.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from kg_queries import schema

Row = Dict[str, Any]


class KGUnavailableError(RuntimeError):
    """The knowledge graph cannot be reached or answered with an internal failure.

    The dialogue turns this into a polite "temporarily unavailable" reply.
    """


class KGWriteRefused(PermissionError):
    """A write was attempted through a read-only query path."""


class KGImportError(RuntimeError):
    """An import that did not complete or whose result does not add up.

    The message says what the graph holds now: unchanged (embedded store), or possibly
    part of the import (Neo4j; re-running the same import completes it).
    """


@dataclass
class ImportReport:
    """What an import wrote: counts per label/relation and how long it took."""

    counts: Dict[str, int] = field(default_factory=dict)
    added: Dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class GraphStore(ABC):
    """A Cypher-speaking graph store holding the medical schema."""

    kind: str = "abstract"

    @abstractmethod
    def run(self, cypher: str, params: Optional[Dict[str, Any]] = None) -> List[Row]:
        """Run one Cypher statement with parameters; return rows as dicts.

        Raises :class:`KGUnavailableError` when the store cannot be used.
        """

    @abstractmethod
    def import_data(self, data, replace: bool = False, progress: bool = True) -> ImportReport:
        """Write a :class:`kg_queries.records.GraphData` idempotently."""

    @abstractmethod
    def clear(self) -> None:
        """Delete every node and relation."""

    def counts(self) -> Dict[str, int]:
        """Number of nodes per label and of relations per type."""
        out = {}
        for label in schema.LABELS:
            out[label] = self.run(f"MATCH (n:{label}) RETURN count(n) AS c")[0]["c"]
        for rel in schema.RELATIONS:
            out[rel.name] = self.run(
                f"MATCH (:{rel.source})-[r:{rel.name}]->(:{rel.target}) RETURN count(r) AS c"
            )[0]["c"]
        return out

    def close(self) -> None:  # noqa: B027 - optional hook, a store without connections keeps it
        """Release connections."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
