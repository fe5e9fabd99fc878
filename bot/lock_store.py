"""Rasa's Redis lock store, with atomic tickets and a client that survives a Redis restart.

Why: with several Rasa servers, or several Sanic workers in one, the messages of one
conversation may arrive at different processes; only a shared lock store makes them take
turns (Rasa's in-memory lock store serialises them inside one process only, and Rasa
refuses ``SANIC_WORKERS`` > 1 with it). Two changes to Rasa's ``RedisLockStore``:

- Rasa changes a lock by reading it, changing it and writing it back in separate
  commands, so two messages of one conversation arriving at two servers within a few
  milliseconds can both draw ticket 0 and run together (one saved turn then overwrites the
  other). Here every change (issue a ticket, drop expired ones, finish one, clean up) is
  one Redis transaction (``WATCH``/``MULTI``), tried again when another process changed the
  lock in between.
- Its client is :func:`bot.redis_retry.with_retries`'s, so a Redis restart does not fail the
  next message of every conversation, and a hung Redis costs ``socket_timeout`` (2 s) at most.

``endpoints.scaled.yml`` configures it::

    lock_store:
      type: bot.lock_store.ResilientRedisLockStore
      url: 127.0.0.1        # Redis host
      port: 6379
      db: 1                 # another database than the tracker store's
      key_prefix: hospital  # letters and digits only
      socket_timeout: 2     # seconds for a connect or an answer

A lock is held for one message; if its holder dies, the ticket expires after
``TICKET_LOCK_LIFETIME`` seconds (Rasa's variable, 60 by default; the scaled profile sets
20, above the channels' 15-second reply timeout) and the conversation goes on.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, Optional, Tuple, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import WatchError

from bot.redis_retry import with_retries

INTEGER_SETTINGS = ("port", "db")
MAX_TRANSACTION_ATTEMPTS = 50  # another process changed the lock in between: read it again
T = TypeVar("T")
Change = Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], T]]


class ResilientRedisLockStore(RedisLockStore):
    """``RedisLockStore`` (configured like Rasa's ``redis`` type) with atomic lock changes."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **settings: Any) -> None:
        options: Dict[str, Any] = dict(endpoint_config.kwargs) if endpoint_config else {}
        options.update(settings)
        if endpoint_config is not None and endpoint_config.url:
            options.setdefault("host", endpoint_config.url)
        for name in INTEGER_SETTINGS:
            if name in options and options[name] not in (None, ""):
                options[name] = int(options[name])
        options.pop("type", None)
        timeout = options.pop("socket_timeout", None)
        super().__init__(**options)
        self.red = with_retries(self.red, timeout)  # type: ignore[has-type]

    def _change(self, conversation_id: str, change: Change[T]) -> T:
        """Read, change and write one conversation's lock as one transaction.

        ``change(lock or None)`` returns the lock to store (None: delete it) and a result.
        """
        key = self.key_prefix + conversation_id

        def attempt() -> T:
            for _ in range(MAX_TRANSACTION_ATTEMPTS):
                with self.red.pipeline() as pipe:
                    try:
                        pipe.watch(key)
                        raw = pipe.get(key)
                        lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                        stored, result = change(lock)
                        pipe.multi()
                        if stored is None:
                            pipe.delete(key)
                        else:
                            pipe.set(key, stored.dumps())
                        pipe.execute()
                        return result
                    except WatchError:
                        continue
            raise LockError(f"the lock of conversation {conversation_id!r} kept changing; gave up")

        return self.red.retrying(attempt)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, change)
        except LockError:
            raise
        except Exception as exc:  # as Rasa's: the message fails with a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    def update_lock(self, conversation_id: str) -> None:
        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, change)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, change)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Finish ``ticket_number`` and delete the lock when nobody waits, in one transaction."""

        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._change(conversation_id, change)
