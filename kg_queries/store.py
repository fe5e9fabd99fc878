"""One interface for every graph store, and the factory that picks one from configuration.

Callers (the importer, the question API, the CLI) only see :class:`GraphStore`:
``run(cypher, params)`` returning plain dict rows, ``import_data`` for bulk loads,
and one typed error, :class:`KGUnavailableError`, when the store cannot answer.
"""
from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EMBEDDED_PATH = PROJECT_ROOT / "var" / "kg"
DEFAULT_ENDPOINTS = PROJECT_ROOT / "endpoints.yml"

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
        from kg_queries import schema

        out = {}
        for label in schema.LABELS:
            out[label] = self.run(f"MATCH (n:{label}) RETURN count(n) AS c")[0]["c"]
        for rel in schema.RELATIONS:
            out[rel.name] = self.run(
                f"MATCH (:{rel.source})-[r:{rel.name}]->(:{rel.target}) RETURN count(r) AS c")[0]["c"]
        return out

    def close(self) -> None:  # pragma: no cover - trivial default
        """Release connections."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def load_kg_settings(endpoints_path: Optional[Path] = None) -> Dict[str, Any]:
    """The ``kg:`` section of ``endpoints.yml`` overlaid with environment variables.

    Environment: ``KG_STORE`` (embedded|neo4j), ``KG_EMBEDDED_PATH``, ``NEO4J_URI``,
    ``NEO4J_USER``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``, ``NEO4J_BATCH_SIZE``,
    ``NEO4J_TIMEOUT`` (seconds to connect and complete the Bolt handshake).
    """
    import yaml

    path = Path(endpoints_path or os.environ.get("KG_ENDPOINTS", DEFAULT_ENDPOINTS))
    settings: Dict[str, Any] = {}
    if path.exists():
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        settings = dict(loaded.get("kg") or {})
    neo4j = dict(settings.get("neo4j") or {})
    env = os.environ
    settings["store"] = env.get("KG_STORE", settings.get("store", "embedded"))
    settings["embedded_path"] = env.get(
        "KG_EMBEDDED_PATH", settings.get("embedded_path") or str(DEFAULT_EMBEDDED_PATH))
    neo4j["uri"] = env.get("NEO4J_URI", neo4j.get("uri", "bolt://127.0.0.1:7687"))
    neo4j["user"] = env.get("NEO4J_USER", neo4j.get("user", "neo4j"))
    neo4j["password"] = env.get("NEO4J_PASSWORD", neo4j.get("password", ""))
    neo4j["database"] = env.get("NEO4J_DATABASE", neo4j.get("database")) or None
    neo4j["batch_size"] = int(env.get("NEO4J_BATCH_SIZE", neo4j.get("batch_size", 500)))
    neo4j["timeout"] = float(env.get("NEO4J_TIMEOUT", neo4j.get("timeout", 5.0)))
    settings["neo4j"] = neo4j
    path_value = Path(settings["embedded_path"])
    if not path_value.is_absolute():
        settings["embedded_path"] = str(PROJECT_ROOT / path_value)
    return settings


def open_store(kind: Optional[str] = None, path: Optional[str] = None,
               read_only: bool = True, settings: Optional[Dict[str, Any]] = None) -> GraphStore:
    """Open the configured store (``kind`` and ``path`` override the configuration)."""
    settings = settings or load_kg_settings()
    kind = kind or settings["store"]
    if kind == "embedded":
        from kg_queries.embedded_store import EmbeddedStore

        return EmbeddedStore(path or settings["embedded_path"], read_only=read_only)
    if kind == "neo4j":
        from kg_queries.neo4j_store import Neo4jStore

        cfg = settings["neo4j"]
        return Neo4jStore(cfg["uri"], cfg["user"], cfg["password"], database=cfg["database"],
                          batch_size=cfg["batch_size"], timeout=cfg.get("timeout", 5.0))
    raise ValueError(f"unknown store kind {kind!r}; expected 'embedded' or 'neo4j'")
