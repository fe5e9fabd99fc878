"""Redis clients that ride over a Redis restart and never hang a server on a hung Redis.

Why: Rasa's Redis tracker and lock stores build a plain ``redis.StrictRedis``. It raises at
once when Redis does not accept the connection, so every message that arrives while Redis
restarts fails (the channel answers ``service_unavailable``). redis-py's own retry does not
help there: it covers a command on an open connection, not the connect before it. And the
tracker store sets no socket timeout, so a Redis that accepts but does not answer would
block the server's event loop, and with it every patient on that worker, indefinitely.

:func:`with_retries` rebuilds such a client on the same connection settings as a
:class:`RetryingRedis`:

- every socket operation times out after ``socket_timeout`` seconds (2 by default);
- a command whose connection is refused or dropped is tried again after 0.05, 0.1, 0.2, 0.4
  and 0.8 s, which is 1.55 s in all and enough for a restart;
- a timeout is not retried, because Redis is then up but stuck.

When the retries run out, or on a timeout, Redis counts as down for :data:`DOWN_SECONDS`
and commands fail at once, so an outage costs each message one fast error, which the
channel's safety net turns into a polite reply.

These clients are synchronous, as Rasa's stores are, so the waits above hold the worker's
event loop. They are short on purpose: at most 1.55 s for a refused connection and at most
``socket_timeout`` for a hung Redis, then nothing for the next 5 s.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Optional, TypeVar

import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

RETRIES = 5
BACKOFF_BASE = 0.05  # seconds before the first retry; doubles each time
BACKOFF_CAP = 1.0  # seconds between two retries at most
DOWN_SECONDS = 5.0  # after the retries ran out, or a timeout: no retries for this long
SOCKET_TIMEOUT = 2.0  # seconds for a connect or an answer

T = TypeVar("T")


def backoff(attempt: int) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based)."""
    return min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)


class RetryingRedis(redis.StrictRedis):
    """``StrictRedis`` whose commands retry refused or dropped connections (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._down_until = 0.0
        self._state = threading.Lock()

    def execute_command(self, *args: Any, **options: Any) -> Any:
        return self.retrying(lambda: redis.StrictRedis.execute_command(self, *args, **options))

    def retrying(self, call: Callable[[], T]) -> T:
        """``call()``, retried as the module says; used for single commands and transactions."""
        with self._state:
            retries = 0 if time.monotonic() < self._down_until else RETRIES
        for attempt in range(retries + 1):
            try:
                result = call()
            except RedisTimeoutError:
                self._mark_down()
                raise
            except RedisConnectionError:
                if attempt == retries:
                    self._mark_down()
                    raise
                time.sleep(backoff(attempt))
            else:
                if retries == 0:
                    with self._state:
                        self._down_until = 0.0
                return result
        raise AssertionError("not reached")

    def _mark_down(self) -> None:
        with self._state:
            self._down_until = time.monotonic() + DOWN_SECONDS


def with_retries(client: Any, socket_timeout: Optional[float] = None) -> RetryingRedis:
    """A :class:`RetryingRedis` with ``client``'s connection settings (host, database,
    password, TLS) and ``socket_timeout`` (default :data:`SOCKET_TIMEOUT`) for connects and answers."""
    pool = client.connection_pool
    timeout = float(socket_timeout if socket_timeout not in (None, "") else SOCKET_TIMEOUT)
    settings = dict(pool.connection_kwargs, socket_timeout=timeout, socket_connect_timeout=timeout)
    retrying_pool = redis.ConnectionPool(
        connection_class=pool.connection_class, max_connections=pool.max_connections, **settings
    )
    pool.disconnect()
    return RetryingRedis(connection_pool=retrying_pool)
