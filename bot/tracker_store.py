"""Tracker stores that keep each conversation short and forget idle ones.

Why: Rasa loads, replays and serialises a conversation's whole event history on every
turn and sends all of it to the action server, so turn 200 of one conversation cost six
times turn 1, and the in-memory store kept every conversation forever. The dialogue here
needs only the slots and the last few turns (every rule maps one intent to one action;
the actions read the slots), so when a conversation holds more than ``max_events``
events, :func:`compact` keeps the last ``keep_events`` (cut at a user turn) after a
session start that sets the current slots. The history an operator could read is then
short too, which is what least patient data asks.

``CompactInMemoryTrackerStore`` is the default (``endpoints.yml``); it also drops
conversations idle for more than ``retention`` seconds. ``CompactRedisTrackerStore`` is
the same compaction over Rasa's Redis store, whose ``record_exp`` expires idle
conversations.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Dict, List, Optional

from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.redis_retry import with_retries

logger = logging.getLogger(__name__)

DEFAULT_MAX_EVENTS = 80
DEFAULT_KEEP_EVENTS = 40
DEFAULT_RETENTION = 24 * 3600
SWEEP_EVERY = 200  # saves between two sweeps for idle conversations


def compact(
    tracker: DialogueStateTracker, domain: Domain, max_events: int, keep_events: int
) -> DialogueStateTracker:
    """``tracker`` itself when short; else a tracker of its last turns after a session start.

    The kept part starts at the ``action_listen`` before a user message, so no turn is cut in
    half; the session start is followed by ``SlotSet`` events for the current slot values,
    so the state the next turn sees is the state it had.
    """
    events: List[Event] = list(tracker.events)
    if len(events) <= max_events:
        return tracker
    cut = len(events) - keep_events
    while cut < len(events) and not _turn_starts_at(events, cut):
        cut += 1
    if cut >= len(events):
        return tracker  # no user turn in the tail: nothing safe to drop
    initial = {slot.name: slot.initial_value for slot in domain.slots}
    slots = [
        SlotSet(name, value)
        for name, value in tracker.current_slot_values().items()
        if name in initial and value != initial[name]
    ]
    head: List[Event] = [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(), *slots]
    return DialogueStateTracker.from_events(
        tracker.sender_id,
        head + events[cut:],
        slots=domain.slots,
        max_event_history=tracker._max_event_history,
    )


def _turn_starts_at(events: List[Event], index: int) -> bool:
    """Whether ``events[index]`` is the ``action_listen`` right before a user message."""
    event = events[index]
    return (
        isinstance(event, ActionExecuted)
        and event.action_name == ACTION_LISTEN_NAME
        and index + 1 < len(events)
        and isinstance(events[index + 1], UserUttered)
    )


class CompactingMixin:
    """Compaction before every save (mixed into a Rasa tracker store)."""

    domain: Domain

    def _compaction(self, max_events: int, keep_events: int) -> None:
        if not 0 < keep_events < max_events:
            raise ValueError(
                f"tracker store: need 0 < keep_events ({keep_events}) < max_events ({max_events})"
            )
        self.max_events, self.keep_events = max_events, keep_events

    def compacted(self, tracker: DialogueStateTracker) -> DialogueStateTracker:
        return compact(tracker, self.domain, self.max_events, self.keep_events)


class CompactInMemoryTrackerStore(CompactingMixin, InMemoryTrackerStore):
    """Rasa's in-memory store, conversations compacted and dropped after ``retention`` idle seconds."""

    def __init__(
        self,
        domain: Domain,
        event_broker: Optional[Any] = None,
        host: Optional[str] = None,
        max_events: int = DEFAULT_MAX_EVENTS,
        keep_events: int = DEFAULT_KEEP_EVENTS,
        retention: float = DEFAULT_RETENTION,
        **kwargs: Any,
    ) -> None:
        super().__init__(domain, event_broker, **kwargs)
        self._compaction(int(max_events), int(keep_events))
        if float(retention) <= 0:
            raise ValueError(f"tracker store: retention must be positive seconds, got {retention!r}")
        self.retention = float(retention)
        self.last_active: Dict[str, float] = {}
        self._saves = 0

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)  # the event broker (if any) sees every new event
        self.store[tracker.sender_id] = self.serialise_tracker(self.compacted(tracker))
        now = time.monotonic()
        self.last_active[tracker.sender_id] = now
        self._saves += 1
        if self._saves % SWEEP_EVERY == 0:
            self.forget_idle(now)

    def forget_idle(self, now: Optional[float] = None) -> int:
        """Drop conversations idle for more than ``retention`` seconds; returns how many."""
        now = time.monotonic() if now is None else now
        idle = [sender for sender, seen in self.last_active.items() if now - seen > self.retention]
        for sender in idle:
            self.store.pop(sender, None)
            self.last_active.pop(sender, None)
        if idle:
            logger.info(
                "tracker store: forgot %d conversations idle for over %.0f s", len(idle), self.retention
            )
        return len(idle)


class CompactRedisTrackerStore(CompactingMixin, RedisTrackerStore):
    """Rasa's Redis store (``record_exp`` expires idle conversations), conversations compacted.

    Its client retries refused connections and times out after ``socket_timeout`` seconds
    (:mod:`bot.redis_retry`), so a Redis restart costs the messages in flight a short wait
    instead of an error, and a hung Redis cannot hang the server.
    """

    def __init__(
        self,
        domain: Domain,
        host: str = "localhost",
        max_events: int = DEFAULT_MAX_EVENTS,
        keep_events: int = DEFAULT_KEEP_EVENTS,
        **kwargs: Any,
    ) -> None:
        for name in ("port", "db", "record_exp"):  # numbers may come from ${VARIABLES} as text
            if kwargs.get(name) not in (None, ""):
                kwargs[name] = int(kwargs[name])
        timeout = kwargs.pop("socket_timeout", None)
        super().__init__(domain, host=host, **kwargs)
        self._compaction(int(max_events), int(keep_events))
        self.red = with_retries(self.red, timeout)  # type: ignore[has-type]

    async def save(self, tracker: DialogueStateTracker, timeout: Optional[float] = None) -> None:
        await super().save(self.compacted(tracker), timeout)
