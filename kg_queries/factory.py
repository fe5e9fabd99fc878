"""The factory of graph stores: the ``kg:`` settings and :func:`open_store`, which picks
the embedded LadybugDB store or Neo4j from them.

Why a module of its own: it is the one place that knows both stores, so they import only
the interface (:mod:`kg_queries.store`) and never each other or this module.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Optional

from core.paths import PROJECT_ROOT
from kg_queries.embedded_store import EmbeddedStore
from kg_queries.neo4j_store import Neo4jStore
from kg_queries.store import GraphStore

DEFAULT_EMBEDDED_PATH = PROJECT_ROOT / "var" / "kg"
DEFAULT_ENDPOINTS = PROJECT_ROOT / "endpoints.yml"


def load_kg_settings(endpoints_path: Optional[Path] = None) -> Dict[str, Any]:
    """The ``kg:`` section of ``endpoints.yml`` overlaid with environment variables.

    Environment: ``KG_STORE`` (embedded|neo4j), ``KG_EMBEDDED_PATH``, ``NEO4J_URI``,
    ``NEO4J_USER``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``, ``NEO4J_BATCH_SIZE``,
    ``NEO4J_TIMEOUT`` (seconds to connect and complete the Bolt handshake).
    """
    import yaml

    # (bound first: inside Path(...) mypy infers the wrong type for the default of get)
    default_path = os.environ.get("KG_ENDPOINTS", DEFAULT_ENDPOINTS)
    path = Path(endpoints_path or default_path)
    settings: Dict[str, Any] = {}
    if path.exists():
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        settings = dict(loaded.get("kg") or {})
    neo4j: Dict[str, Any] = dict(settings.get("neo4j") or {})
    env = os.environ
    settings["store"] = env.get("KG_STORE", settings.get("store", "embedded"))
    settings["embedded_path"] = env.get(
        "KG_EMBEDDED_PATH", settings.get("embedded_path") or str(DEFAULT_EMBEDDED_PATH)
    )
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


def open_store(
    kind: Optional[str] = None,
    path: Optional[str] = None,
    read_only: bool = True,
    settings: Optional[Dict[str, Any]] = None,
) -> GraphStore:
    """Open the configured store (``kind`` and ``path`` override the configuration)."""
    settings = settings or load_kg_settings()
    kind = kind or settings["store"]
    if kind == "embedded":
        return EmbeddedStore(path or settings["embedded_path"], read_only=read_only)
    if kind == "neo4j":
        cfg = settings["neo4j"]
        return Neo4jStore(
            cfg["uri"],
            cfg["user"],
            cfg["password"],
            database=cfg["database"],
            batch_size=cfg["batch_size"],
            timeout=cfg.get("timeout", 5.0),
            read_only=read_only,
        )
    raise ValueError(f"unknown store kind {kind!r}; expected 'embedded' or 'neo4j'")
