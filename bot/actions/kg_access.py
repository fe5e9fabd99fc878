"""The action server's handle on the knowledge graph, guarded, opened lazily and reopened after failures.

Why: one stalled or restarting graph server must not make every patient wait. The store is
wrapped in :class:`kg_queries.guard.GuardedStore` (every driver error typed as
``KGUnavailableError``, a per-query timeout, a circuit breaker) and opened through a
:class:`kg_queries.guard.Reconnector` (connection attempts with exponential backoff, never
two at once), with the settings of ``endpoints.yml``'s ``kg:`` section.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import threading
from typing import Optional

from kg_queries.factory import load_kg_settings, open_store
from kg_queries.guard import CircuitBreaker, GuardedStore, GuardSettings, Reconnector
from kg_queries.questions import KnowledgeGraph
from kg_queries.store import KGUnavailableError

_lock = threading.Lock()
_kg: Optional[KnowledgeGraph] = None
_reconnector: Optional[Reconnector] = None


def _guard() -> Reconnector:
    """The process's reconnector (settings read once; ``reset_settings`` forgets them)."""
    global _reconnector
    with _lock:
        if _reconnector is None:
            settings = GuardSettings.from_settings(load_kg_settings())
            pool = concurrent.futures.ThreadPoolExecutor(settings.workers, thread_name_prefix="kg")
            # One breaker for the process: it outlives the reconnects that follow an outage.
            breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown)

            def opener() -> GuardedStore:
                return GuardedStore(open_store(read_only=True), settings, pool=pool, breaker=breaker)

            _reconnector = Reconnector(opener, settings, pool)
        return _reconnector


def get_kg() -> KnowledgeGraph:
    """The shared read-only :class:`KnowledgeGraph`; raises ``KGUnavailableError`` at once while it cannot open."""
    global _kg
    with _lock:
        if _kg is not None:
            return _kg
    graph = KnowledgeGraph(_guard().open())
    with _lock:
        if _kg is None:
            _kg = graph
        elif graph.store is not _kg.store:
            graph.store.close()
        return _kg


def reset() -> None:
    """Forget the handle (after an outage) so a later call reconnects (after the backoff)."""
    global _kg
    with _lock:
        old, _kg = _kg, None
    if old is not None:
        with contextlib.suppress(Exception):
            old.store.close()


def reset_settings() -> None:
    """Forget the handle and the guard's settings (tests that change the environment)."""
    global _reconnector
    reset()
    with _lock:
        _reconnector = None


def set_kg(kg: Optional[KnowledgeGraph]) -> None:
    """Install a specific graph (tests)."""
    global _kg
    with _lock:
        _kg = kg


__all__ = ["KGUnavailableError", "get_kg", "reset", "reset_settings", "set_kg"]
