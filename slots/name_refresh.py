"""The graph's names for a loaded model: read when it loads, and again whenever they change.

Why: the dictionary extractor and the linker learn nothing from names that a model could not
get from the graph itself, yet they used to read the names only at training time, so adding
or renaming a disease meant ``rasa train`` (17 min on a machine without Rasa's training
cache). Now a loaded component reads the graph's names at once (falling back to what it
persisted when the graph cannot be read) and a daemon thread looks again every
``refresh_seconds``: when the names differ from those it serves, it rebuilds its lookup
structures off the request path and swaps them in one assignment, so a running server
answers about a new disease within ``refresh_seconds`` of its import, without a restart
or a retraining. For the embedded store a look costs one ``stat`` unless the file changed.

``refresh_seconds`` is each component's setting in ``config.yml`` (0 turns it off); the
environment variable ``KG_NAMES_REFRESH_SECONDS`` overrides it for every component.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from typing import Any, Dict, Optional, Protocol, Tuple

from kg_queries.embedded_store import file_identity
from kg_queries.factory import load_kg_settings
from slots import kg_names

logger = logging.getLogger(__name__)

ENV_SECONDS = "KG_NAMES_REFRESH_SECONDS"


def refresh_seconds(configured: float) -> float:
    """The component's setting, or ``KG_NAMES_REFRESH_SECONDS`` when set (0 = off)."""
    raw = os.environ.get(ENV_SECONDS, "").strip()
    if not raw:
        return float(configured)
    try:
        value = float(raw)
    except ValueError:
        logger.warning("%s=%r is not a number of seconds; using %s", ENV_SECONDS, raw, configured)
        return float(configured)
    return max(0.0, value)


# The last name table read per store in this process, with the file identity it was read at
# and its fingerprint: the dictionary extractor and the linker follow the same graph, so the
# second of them to look after a change (or at load) reuses what the first one read.
_tables: Dict[Tuple[Optional[str], Optional[str]], Tuple[Any, kg_names.NameTable, str]] = {}
_tables_lock = threading.Lock()


def _names(store: Optional[str], store_path: Optional[str], identity: Any) -> Tuple[kg_names.NameTable, str]:
    """The graph's names and their fingerprint; read again unless this process read them at
    ``identity`` (the embedded store's file; None, as for Neo4j, always reads)."""
    key = (store, store_path)
    if identity is not None:
        with _tables_lock:
            cached = _tables.get(key)
        if cached is not None and cached[0] == identity:
            return cached[1], cached[2]
    table = kg_names.load_names(store, store_path)
    fingerprint = kg_names.table_fingerprint(table)
    if identity is not None:
        with _tables_lock:
            _tables[key] = (identity, table, fingerprint)
    return table, fingerprint


def _embedded_path(store: Optional[str], store_path: Optional[str]) -> Optional[str]:
    """The embedded store's file when that is the store in use, else None (Neo4j)."""
    settings = load_kg_settings()
    if (store or settings["store"]) != "embedded":
        return None
    return str(store_path or settings["embedded_path"])


class Follower(Protocol):
    """A loaded component that follows the graph's names."""

    config: Dict[str, Any]
    fingerprint: str

    def rebuild_names(self, table: kg_names.NameTable) -> None: ...


def follow(name: str, component: Follower) -> Optional[NameRefresher]:
    """For a loaded component: rebuild from the graph's names now if they changed since
    training, then look every ``refresh_seconds`` (None, and nothing read, when that is 0)."""
    seconds = refresh_seconds(component.config["refresh_seconds"])
    if seconds <= 0:
        return None
    refresher = NameRefresher(name, component)
    refresher.check()
    refresher.start(seconds)
    return refresher


class NameRefresher:
    """Rebuilds ``component`` (``rebuild_names(table)``) when the graph's names differ from
    those it serves (``component.fingerprint``).

    ``check()`` looks once (synchronously); ``start(seconds)`` keeps looking in a daemon
    thread. It holds the component weakly: when a new model replaces it, the thread ends.
    A graph that cannot be read, or a rebuild that fails, is logged, the component keeps
    what it has, and the next look tries again.
    """

    def __init__(self, name: str, component: Follower) -> None:
        self.name = name
        self.store, self.store_path = component.config["store"], component.config["store_path"]
        self._component = weakref.ref(component)
        self._file: Optional[str] = None
        self._identity: Any = None
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def check(self) -> bool:
        """Rebuild when the graph's names changed; True when it did."""
        component = self._component()
        if component is None:
            self._stop.set()
            return False
        identity = None
        try:
            if self._file is None:
                self._file = _embedded_path(self.store, self.store_path) or ""
            if self._file:
                identity = file_identity(self._file)
                if identity is not None and identity == self._identity:
                    return False  # the same file as last time: the same names
            table, fingerprint = _names(self.store, self.store_path, identity)
            if fingerprint == component.fingerprint:
                self._identity = identity
                return False
            component.rebuild_names(table)
        except Exception as exc:  # the graph may be down or mid-import: keep what we have
            logger.warning(
                "%s: cannot refresh the graph's names (%s); keeping the current ones", self.name, exc
            )
            return False
        component.fingerprint = fingerprint
        self._identity = identity
        logger.info("%s: the graph's names changed; rebuilt from %d labels", self.name, len(table))
        return True

    def start(self, seconds: float) -> None:
        """Look every ``seconds`` in a daemon thread (nothing when ``seconds`` is 0)."""
        if seconds <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._loop, args=(seconds,), name=f"{self.name}-names", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self, seconds: float) -> None:
        while not self._stop.wait(seconds):
            self.check()
