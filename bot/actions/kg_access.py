"""The action server's handle on the knowledge graph, opened lazily and reopened after failures."""
from __future__ import annotations

import threading
from typing import Optional

from kg_queries import KnowledgeGraph, KGUnavailableError, open_store

_lock = threading.Lock()
_kg: Optional[KnowledgeGraph] = None


def get_kg() -> KnowledgeGraph:
    """The shared read-only :class:`KnowledgeGraph`; raises ``KGUnavailableError`` if it cannot open."""
    global _kg
    with _lock:
        if _kg is None:
            _kg = KnowledgeGraph(open_store(read_only=True))
        return _kg


def reset() -> None:
    """Forget the handle (after an outage) so the next call reconnects."""
    global _kg
    with _lock:
        if _kg is not None:
            try:
                _kg.store.close()
            except Exception:
                pass
        _kg = None


def set_kg(kg: Optional[KnowledgeGraph]) -> None:
    """Install a specific graph (tests)."""
    global _kg
    with _lock:
        _kg = kg


__all__ = ["get_kg", "reset", "set_kg", "KGUnavailableError"]
