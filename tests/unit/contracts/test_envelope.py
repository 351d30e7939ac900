from __future__ import annotations

from datetime import UTC, datetime

import pytest
from vp_contracts.envelope import Envelope, EnvelopeError
from vp_contracts.events import StoryArchived, parse_event, registry
from vp_contracts.events.registry import UnknownEventType
from vp_contracts.subjects import Subjects


def test_envelope_round_trips_through_cloudevents_headers() -> None:
    envelope = Envelope(
        id="e1",
        type="vp.story.archived.v1",
        source="/vp/gateway",
        time=datetime(2026, 5, 1, 12, tzinfo=UTC),
        story_id="s1",
        actor="user-9",
        correlation_id="req-1",
        causation_id="cmd-1",
    )
    headers = envelope.headers()
    assert headers["ce-specversion"] == "1.0"
    assert headers["ce-time"] == "2026-05-01T12:00:00Z"
    assert headers["ce-correlationid"] == "req-1"
    assert Envelope.from_headers(headers) == envelope


def test_a_message_without_cloudevents_headers_is_rejected_with_what_is_missing() -> None:
    with pytest.raises(EnvelopeError, match="ce-type, ce-source"):
        Envelope.from_headers({"ce-id": "x", "ce-time": "2026-01-01T00:00:00Z", "ce-subject": "s"})


def test_unknown_types_are_reported() -> None:
    with pytest.raises(UnknownEventType):
        parse_event("vp.story.exploded.v1", b"{}")


def test_an_upcaster_turns_an_old_body_into_the_new_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pretend v0 of "archived" stored the story under another name.
    def v0_to_v1(body: dict[str, object]) -> tuple[str, dict[str, object]]:
        return "vp.story.archived.v1", {"story_id": body["story"]}

    monkeypatch.setitem(registry.UPCASTERS, "vp.story.archived.v0", v0_to_v1)

    assert parse_event("vp.story.archived.v0", b'{"story": "s7"}') == StoryArchived(story_id="s7")


def test_subjects_are_per_story_and_event() -> None:
    subjects = Subjects()
    assert subjects.story_event("s1", "planned") == "vp.story.s1.planned"
    assert subjects.story("s1") == "vp.story.s1.>"
    assert subjects.event_of_any_story("completed") == "vp.story.*.completed"
    assert subjects.story_id_of("vp.story.s1.planned") == "s1"
    assert subjects.progress("s1") == "vp.progress.s1"


@pytest.mark.parametrize("bad", ["", "a.b", "a*", "a>", "x" * 65, "has space"])
def test_ids_that_would_break_subjects_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="story id"):
        Subjects().story(bad)
