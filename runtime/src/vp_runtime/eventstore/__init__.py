"""The event log: each Story's facts on one JetStream subject, appended under optimistic
concurrency, read back as a fold (with snapshots in a KV bucket). Services depend on the
:class:`StoryLog` port; :class:`EventStore` is its JetStream implementation and
:class:`InMemoryStoryLog` the one unit tests use."""

from vp_runtime.eventstore.memory import InMemoryStoryLog
from vp_runtime.eventstore.port import (
    AppendError,
    ConcurrencyError,
    CorruptEvent,
    DuplicateEventId,
    EventMeta,
    Outcome,
    StoryLog,
    WrongExpectedVersion,
)
from vp_runtime.eventstore.reader import recorded_from
from vp_runtime.eventstore.snapshots import SnapshotStore
from vp_runtime.eventstore.store import EventStore

__all__ = [
    "AppendError",
    "ConcurrencyError",
    "CorruptEvent",
    "DuplicateEventId",
    "EventMeta",
    "EventStore",
    "InMemoryStoryLog",
    "Outcome",
    "SnapshotStore",
    "StoryLog",
    "WrongExpectedVersion",
    "recorded_from",
]
