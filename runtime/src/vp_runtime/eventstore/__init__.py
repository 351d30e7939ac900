"""The event store: each Story's facts on one JetStream subject, appended under optimistic
concurrency, read back as a fold (with snapshots in a KV bucket)."""

from vp_runtime.eventstore.snapshots import SnapshotStore
from vp_runtime.eventstore.store import (
    AppendError,
    ConcurrencyError,
    CorruptEvent,
    DuplicateEventId,
    EventMeta,
    EventStore,
    Outcome,
    WrongExpectedVersion,
    recorded_from,
)

__all__ = [
    "AppendError",
    "ConcurrencyError",
    "CorruptEvent",
    "DuplicateEventId",
    "EventMeta",
    "EventStore",
    "Outcome",
    "SnapshotStore",
    "WrongExpectedVersion",
    "recorded_from",
]
