"""Read every node name and alias from the knowledge graph, for dictionaries and linking.

Used at training time, and by a loaded model to follow the graph (``slots/name_refresh.py``):
components persist what they need with the model, so a server whose graph cannot be read
still has the names it was trained with.
"""

from __future__ import annotations

import hashlib
import json
from typing import Dict, List, Optional, Tuple

from kg_queries import schema

NameTable = Dict[str, List[Tuple[str, List[str]]]]  # label -> [(name, aliases)]


def load_names(store_kind: Optional[str] = None, store_path: Optional[str] = None) -> NameTable:
    """All ``(name, aliases)`` per label from the configured store (read-only)."""
    from kg_queries.factory import open_store
    from kg_queries.questions import KnowledgeGraph

    with open_store(kind=store_kind, path=store_path, read_only=True) as store:
        return KnowledgeGraph(store).all_names()


def names_fingerprint(store_kind: Optional[str] = None, store_path: Optional[str] = None) -> str:
    """A hash of the graph's names, so Rasa retrains name-based components when they change."""
    try:
        table = load_names(store_kind, store_path)
    except Exception as exc:  # no graph yet: training will report it properly
        return f"unavailable:{type(exc).__name__}"
    return table_fingerprint(table)


def table_fingerprint(table: NameTable) -> str:
    """A hash of a name table (the same names give the same hash, whatever the order of labels)."""
    blob = json.dumps({k: table[k] for k in sorted(table)}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def entity_type(label: str) -> str:
    return schema.ENTITY_TYPE[label]
