"""Redis clients that ride over a Redis restart instead of failing the messages meanwhile.

Why: Rasa's Redis tracker and lock stores build a plain ``redis.StrictRedis``, which raises
at once when Redis does not accept the connection: every message that arrives while Redis
restarts fails (the channel answers ``service_unavailable``). redis-py's own retry does
not help there, since it covers a command on an open connection, not the connect that
precedes it. :func:`with_retries` rebuilds such a client on the same connection settings
as a :class:`RetryingRedis`: a command that meets a connection error or a timeout is tried
again after 0.05, 0.1, 0.2, 0.4 and 0.8 s (1.55 s in all, enough for a restart). When the
retries run out, Redis counts as down for :data:`DOWN_SECONDS` and commands fail at once,
so a long outage does not stall every message (these clients are synchronous) before the
channel's safety net answers it.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

RETRIES = 5
BACKOFF_BASE = 0.05  # seconds before the first retry; doubles each time
BACKOFF_CAP = 1.0  # seconds between two retries at most
DOWN_SECONDS = 5.0  # after the retries ran out: no retries for this long


def backoff(attempt: int) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based)."""
    return min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)


class RetryingRedis(redis.StrictRedis):
    """``StrictRedis`` whose commands retry connection errors and timeouts (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._down_until = 0.0
        self._state = threading.Lock()

    def execute_command(self, *args: Any, **options: Any) -> Any:
        with self._state:
            retries = 0 if time.monotonic() < self._down_until else RETRIES
        for attempt in range(retries + 1):
            try:
                result = super().execute_command(*args, **options)
            except (RedisConnectionError, RedisTimeoutError):
                if attempt == retries:
                    with self._state:
                        self._down_until = time.monotonic() + DOWN_SECONDS
                    raise
                time.sleep(backoff(attempt))
            else:
                if retries == 0:
                    with self._state:
                        self._down_until = 0.0
                return result
        raise AssertionError("not reached")


def with_retries(client: Any) -> RetryingRedis:
    """A :class:`RetryingRedis` on ``client``'s connection pool (same host, database, password)."""
    return RetryingRedis(connection_pool=client.connection_pool)
