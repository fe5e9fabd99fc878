"""The graph guard: every driver error typed, a timeout on a hung store, the circuit breaker,
reconnection with backoff (kg_queries/guard.py)."""

from __future__ import annotations

import threading
import time
from typing import Any, Dict, List, Optional

import pytest
from neo4j import exceptions as neo4j_errors

from kg_queries.guard import CircuitBreaker, GuardedStore, GuardSettings, Reconnector
from kg_queries.store import GraphStore, KGUnavailableError, KGWriteRefused

FAST = GuardSettings(
    query_timeout=0.3,
    breaker_failures=3,
    breaker_cooldown=0.5,
    reconnect_min=0.2,
    reconnect_max=1.0,
    workers=2,
)


class ScriptedStore(GraphStore):
    """Raises ``error`` (if set), sleeps ``delay`` s, else answers one row."""

    kind = "scripted"

    def __init__(self, error: Optional[BaseException] = None, delay: float = 0.0) -> None:
        self.error, self.delay, self.calls = error, delay, 0
        self.release = threading.Event()

    def run(self, cypher: str, params: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        self.calls += 1
        if self.delay:
            self.release.wait(self.delay)
        if self.error is not None:
            raise self.error
        return [{"ok": 1}]

    def import_data(self, data, replace=False, progress=True):
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError


DRIVER_ERRORS = [
    neo4j_errors.AuthError("The client is unauthorized due to authentication failure."),
    neo4j_errors.TransientError("Database is restarting"),
    neo4j_errors.ClientError("Invalid input"),
    neo4j_errors.ServiceUnavailable("Couldn't connect to 127.0.0.1:7687"),
    neo4j_errors.SessionExpired("session expired"),
    RuntimeError("Buffer manager exception: unable to allocate memory"),  # LadybugDB's kind
    ConnectionResetError(104, "Connection reset by peer"),
    OSError("No space left on device"),
    ValueError("unexpected value from the driver"),
]


@pytest.mark.parametrize("error", DRIVER_ERRORS, ids=lambda e: type(e).__name__)
def test_every_driver_error_becomes_kg_unavailable(error, caplog):
    store = GuardedStore(ScriptedStore(error), FAST)
    with pytest.raises(KGUnavailableError) as raised:
        store.run("MATCH (n) RETURN n")
    assert raised.value.__cause__ is error
    assert type(error).__name__ in caplog.text  # the cause is logged


def test_a_refused_write_stays_a_refused_write():
    store = GuardedStore(ScriptedStore(KGWriteRefused("read-only")), FAST)
    with pytest.raises(KGWriteRefused):
        store.run("CREATE (n)")
    assert not store.breaker.is_open


def test_a_hung_store_times_out_and_others_are_not_held_up():
    hung = ScriptedStore(delay=30)
    store = GuardedStore(hung, FAST)
    started = time.monotonic()
    with pytest.raises(KGUnavailableError, match="no answer within"):
        store.run("MATCH (n) RETURN n")
    assert time.monotonic() - started < 1.0
    healthy = GuardedStore(ScriptedStore(), FAST)  # another store, same machine: unaffected
    assert healthy.run("RETURN 1") == [{"ok": 1}]
    hung.release.set()


def test_the_breaker_answers_at_once_while_open_and_recovers():
    inner = ScriptedStore(neo4j_errors.ServiceUnavailable("down"))
    store = GuardedStore(inner, FAST)
    for _ in range(FAST.breaker_failures):
        with pytest.raises(KGUnavailableError):
            store.run("RETURN 1")
    assert store.breaker.is_open
    calls = inner.calls
    started = time.monotonic()
    for _ in range(50):
        with pytest.raises(KGUnavailableError, match="circuit open"):
            store.run("RETURN 1")
    assert inner.calls == calls and time.monotonic() - started < 0.1  # the store is not touched
    inner.error = None  # the server is back
    time.sleep(FAST.breaker_cooldown + 0.05)
    assert store.run("RETURN 1") == [{"ok": 1}]  # the trial query closes the breaker
    assert not store.breaker.is_open


def test_a_failed_trial_opens_the_breaker_again():
    clock = [0.0]
    breaker = CircuitBreaker(failures=2, cooldown=10, clock=lambda: clock[0])
    breaker.failure(), breaker.failure()
    assert not breaker.allow()
    clock[0] = 11
    assert breaker.allow() and not breaker.allow()  # one trial at a time
    breaker.failure()
    assert not breaker.allow()
    clock[0] = 22
    assert breaker.allow()
    breaker.success()
    assert breaker.allow() and breaker.allow()


def test_reconnection_backs_off_and_never_blocks():
    import concurrent.futures

    attempts = []
    up = {"value": False}

    def opener() -> GraphStore:
        attempts.append(time.monotonic())
        if not up["value"]:
            raise neo4j_errors.ServiceUnavailable("connection refused")
        return ScriptedStore()

    reconnector = Reconnector(opener, FAST, concurrent.futures.ThreadPoolExecutor(1))
    with pytest.raises(KGUnavailableError):
        reconnector.open()
    started = time.monotonic()
    for _ in range(20):  # within the backoff: refused at once, no new attempt
        with pytest.raises(KGUnavailableError, match="reconnecting"):
            reconnector.open()
    assert len(attempts) == 1 and time.monotonic() - started < 0.1
    up["value"] = True
    time.sleep(FAST.reconnect_min + 0.05)
    assert reconnector.open().run("RETURN 1") == [{"ok": 1}]


def test_settings_come_from_endpoints_and_the_environment():
    settings = GuardSettings.from_settings(
        {"query_timeout": 2, "breaker_failures": 5}, env={"KG_QUERY_TIMEOUT": "1.5"}
    )
    assert (settings.query_timeout, settings.breaker_failures) == (1.5, 5)
    with pytest.raises(ValueError, match="breaker_failures"):
        GuardSettings.from_settings({"breaker_failures": 0}, env={})
    with pytest.raises(ValueError, match="query_timeout"):
        GuardSettings.from_settings({"query_timeout": "soon"}, env={})
