"""A guard around any graph store: typed errors, a per-query timeout and a circuit breaker.

Why: the dialogue must answer politely and at once whatever the graph does. Drivers fail
in their own ways (LadybugDB's ``RuntimeError``, Neo4j's ``AuthError``, ``TransientError``
during a restart, ``ClientError``, ``ServiceUnavailable``, plain socket errors), and a
stalled server never answers at all. :class:`GuardedStore` turns every failure into
:class:`~kg_queries.store.KGUnavailableError` (its cause logged), gives up on a query
after ``query_timeout`` seconds (the stuck call finishes in its worker thread, bounded
by the pool), and after ``breaker_failures`` failures in a row opens its
:class:`CircuitBreaker`: for ``breaker_cooldown`` seconds every query fails at once
without touching the store; then one query is let through to test it. Connecting is
guarded the same way by :class:`Reconnector` (exponential backoff), so while the graph
is down no user waits for a connection attempt.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, TypeVar

from kg_queries.store import GraphStore, ImportReport, KGUnavailableError, KGWriteRefused, Row

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class GuardSettings:
    """``endpoints.yml`` ``kg:`` keys (environment variables override them)."""

    query_timeout: float = 3.0  # KG_QUERY_TIMEOUT: seconds before a query counts as failed
    breaker_failures: int = 3  # KG_BREAKER_FAILURES: failures in a row that open the breaker
    breaker_cooldown: float = 10.0  # KG_BREAKER_COOLDOWN: seconds it stays open before one trial
    reconnect_min: float = 1.0  # KG_RECONNECT_MIN: first wait after a failed connection
    reconnect_max: float = 30.0  # KG_RECONNECT_MAX: longest wait between connection attempts
    workers: int = 4  # KG_WORKERS: threads running graph calls

    @classmethod
    def from_settings(cls, kg: Mapping[str, Any], env: Mapping[str, str] = os.environ) -> GuardSettings:
        values: Dict[str, Any] = {}
        for name, kind in (
            ("query_timeout", float),
            ("breaker_failures", int),
            ("breaker_cooldown", float),
            ("reconnect_min", float),
            ("reconnect_max", float),
            ("workers", int),
        ):
            raw = env.get(f"KG_{name.upper()}", kg.get(name))
            if raw is None:
                continue
            try:
                value = kind(raw)
            except (TypeError, ValueError):
                raise ValueError(f"kg setting {name} must be a number, got {raw!r}") from None
            if value < 0 or (kind is int and value < 1):
                raise ValueError(f"kg setting {name} must be positive, got {raw!r}")
            values[name] = value
        return cls(**values)


class CircuitBreaker:
    """Closed → (``failures`` in a row) → open for ``cooldown`` s → one trial → closed or open again."""

    def __init__(self, failures: int, cooldown: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.failures, self.cooldown, self.clock = failures, cooldown, clock
        self._lock = threading.Lock()
        self._count = 0
        self._opened_at: Optional[float] = None
        self._trial = False

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._opened_at is not None

    def allow(self) -> bool:
        """Whether a call may go to the store now (after the cooldown, only one trial at a time)."""
        with self._lock:
            if self._opened_at is None:
                return True
            if self._trial or self.clock() - self._opened_at < self.cooldown:
                return False
            self._trial = True
            return True

    def success(self) -> None:
        with self._lock:
            self._count, self._opened_at, self._trial = 0, None, False

    def failure(self) -> None:
        with self._lock:
            self._count += 1
            if self._trial or self._count >= self.failures:
                if self._opened_at is None:
                    logger.error(
                        "knowledge graph: %d failures in a row, answering 'unavailable' for %.0f s",
                        self._count,
                        self.cooldown,
                    )
                self._opened_at, self._trial = self.clock(), False


def call_with_timeout(
    pool: concurrent.futures.ThreadPoolExecutor,
    timeout: float,
    what: str,
    function: Callable[..., T],
    *args: Any,
) -> T:
    """``function(*args)`` in ``pool``; every failure or a timeout is a :class:`KGUnavailableError`."""
    future = pool.submit(function, *args)
    try:
        return future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise KGUnavailableError(f"{what}: no answer within {timeout:g} s") from None
    except (KGUnavailableError, KGWriteRefused):
        raise
    except Exception as exc:  # any driver error: typed for the dialogue, cause kept for the log
        logger.warning("knowledge graph %s failed: %s: %s", what, type(exc).__name__, exc)
        raise KGUnavailableError(f"{what} failed: {type(exc).__name__}: {exc}") from exc


class GuardedStore(GraphStore):
    """Wraps a store: each query in a worker thread with a timeout, behind a circuit breaker."""

    def __init__(
        self,
        inner: GraphStore,
        settings: GuardSettings,
        pool: Optional[concurrent.futures.ThreadPoolExecutor] = None,
        breaker: Optional[CircuitBreaker] = None,
    ) -> None:
        self.inner, self.settings = inner, settings
        self.kind = inner.kind
        self.pool = pool or concurrent.futures.ThreadPoolExecutor(settings.workers, thread_name_prefix="kg")
        self.breaker = breaker or CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown)

    def run(self, cypher: str, params: Optional[Dict[str, Any]] = None) -> List[Row]:
        if not self.breaker.allow():
            raise KGUnavailableError("knowledge graph unavailable (circuit open after repeated failures)")
        try:
            rows = call_with_timeout(
                self.pool, self.settings.query_timeout, "query", self.inner.run, cypher, params
            )
        except KGWriteRefused:
            self.breaker.success()  # the store answered: refusing a write is not an outage
            raise
        except KGUnavailableError:
            self.breaker.failure()
            raise
        self.breaker.success()
        return rows

    def import_data(self, data, replace: bool = False, progress: bool = True) -> ImportReport:
        return self.inner.import_data(data, replace=replace, progress=progress)

    def clear(self) -> None:
        self.inner.clear()

    def close(self) -> None:
        try:
            self.inner.close()
        except Exception as exc:  # closing a broken connection must not fail the caller
            logger.debug("closing the graph store failed: %s", exc)


class Reconnector:
    """Opens a store with a timeout; after a failure waits (doubling, capped) before trying again.

    While an attempt is running or the wait has not passed, :meth:`open` fails at once, so
    only one caller ever waits for a connection and nobody waits while the graph is down.
    """

    def __init__(
        self,
        opener: Callable[[], GraphStore],
        settings: GuardSettings,
        pool: concurrent.futures.ThreadPoolExecutor,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.opener, self.settings, self.pool, self.clock = opener, settings, pool, clock
        self._lock = threading.Lock()
        self._busy = False
        self._next_try = 0.0
        self._wait = settings.reconnect_min

    def open(self) -> GraphStore:
        with self._lock:
            now = self.clock()
            if self._busy or now < self._next_try:
                raise KGUnavailableError("knowledge graph unavailable (reconnecting)")
            self._busy = True
        try:
            store = call_with_timeout(
                self.pool, max(self.settings.query_timeout, 5.0), "connect", self.opener
            )
        except KGUnavailableError:
            with self._lock:
                self._busy = False
                self._next_try = self.clock() + self._wait
                self._wait = min(
                    self.settings.reconnect_max, max(self._wait * 2, self.settings.reconnect_min)
                )
            raise
        with self._lock:
            self._busy, self._wait = False, self.settings.reconnect_min
        return store
