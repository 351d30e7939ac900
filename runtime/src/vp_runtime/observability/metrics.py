"""The Prometheus metrics every service may expose on ``/metrics`` (the roadmap's names in
Prometheus style, plus HTTP and message handling). Label values are kept few: event names and
route templates, never ids."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from prometheus_client import Counter, Gauge, Histogram

DURATION_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 15, 30, 60, 90, 120, 180, 300, 600, 1200)

GENERATION_SECONDS = Histogram(
    "video_generation_duration_seconds",
    "Time to produce a result: preview / final (request to ready) or one job (plan, scene, compose, upscale)",
    ["type", "status"],
    buckets=DURATION_BUCKETS,
)
API_CALLS = Counter(
    "ai_api_calls",
    "Calls to AI providers (cache hits included, outcome=cache_hit)",
    ["provider", "endpoint", "outcome"],
)
COST_DOLLARS = Counter(
    "generation_cost_dollars", "Dollars recorded for generation, by project", ["project"]
)
QUEUE_DEPTH = Gauge(
    "queue_depth",
    "Messages waiting per consumer: pending (not yet delivered), ack_pending (being worked on), redelivered",
    ["queue", "status"],
)
HTTP_REQUESTS = Counter(
    "http_requests", "HTTP requests answered", ["service", "method", "route", "status"]
)
HTTP_SECONDS = Histogram(
    "http_request_duration_seconds",
    "Time to answer HTTP requests (to the first byte for streams)",
    ["service", "method", "route"],
)
FEEDBACK_RATING = Histogram(
    "video_feedback_rating",
    "Creators' ratings of finished videos, 1-5 stars (the satisfaction KPI: mean above 4.0)",
    buckets=(1, 2, 3, 4, 5),
)
PARKED = Gauge(
    "projector_parked_facts", "Facts the read model could not apply, set aside until replayed"
)
PARKED_TOTAL = Counter("projector_facts_parked", "Facts the projector has parked")
MESSAGES = Counter(
    "messages_handled", "Messages handled by a service", ["service", "subject", "outcome"]
)
MESSAGE_SECONDS = Histogram(
    "message_handling_duration_seconds",
    "Time to handle one message",
    ["service", "subject"],
    buckets=DURATION_BUCKETS,
)
LIVE_CLIENTS = Gauge("live_clients", "Clients following stories live (SSE and WebSocket)")


@contextlib.contextmanager
def timed_generation(kind: str) -> Iterator[None]:
    """Observe ``video_generation_duration_seconds{type=kind}``, failed when the block raises."""
    started = time.perf_counter()
    status = "failed"
    try:
        yield
        status = "succeeded"
    finally:
        GENERATION_SECONDS.labels(kind, status).observe(time.perf_counter() - started)


def subject_label(subject: str) -> str:
    """``vp.story.<id>.planned`` -> ``story.planned``: the kind of message, not its instance."""
    parts = subject.split(".")
    if len(parts) >= 4 and parts[-3] == "story":
        return f"story.{parts[-1]}"
    if "jobs" in parts:
        return (
            "jobs." + parts[parts.index("jobs") + 1]
            if parts.index("jobs") + 1 < len(parts)
            else "jobs"
        )
    return parts[-1]
