"""Rasa's Redis lock store, with a client that survives a Redis restart.

Why: with several Rasa servers, or several Sanic workers in one, the messages of one
conversation may arrive at different processes; only a shared lock store makes them take
turns (Rasa's in-memory lock store serialises them inside one process only, and Rasa
refuses ``SANIC_WORKERS`` > 1 with it). This is Rasa's ``RedisLockStore`` unchanged but
for its client (:func:`bot.redis_retry.with_retries`), so a Redis restart does not fail
the next message of every conversation. ``endpoints.scaled.yml`` configures it::

    lock_store:
      type: bot.lock_store.ResilientRedisLockStore
      url: 127.0.0.1        # Redis host
      port: 6379
      db: 1                 # another database than the tracker store's
      key_prefix: hospital  # letters and digits only

A lock is held for one message; if its holder dies, the ticket expires after
``TICKET_LOCK_LIFETIME`` seconds (Rasa's variable, 60 by default; the scaled profile sets
20, above the channels' 15-second reply timeout) and the conversation goes on.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.redis_retry import with_retries

INTEGER_SETTINGS = ("port", "db")


class ResilientRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose client retries connection errors (configured like Rasa's ``redis`` type)."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **settings: Any) -> None:
        options: Dict[str, Any] = dict(endpoint_config.kwargs) if endpoint_config else {}
        options.update(settings)
        if endpoint_config is not None and endpoint_config.url:
            options.setdefault("host", endpoint_config.url)
        for name in INTEGER_SETTINGS:
            if name in options and options[name] not in (None, ""):
                options[name] = int(options[name])
        options.pop("type", None)
        super().__init__(**options)
        self.red = with_retries(self.red)  # type: ignore[has-type]
