"""The creator's commands on the story: create, edit, plan, preview, render, cancel, archive,
feedback, and the transitions the state machine lets a user make."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.story import commands as c
from vp_contracts.story.decider.guards import (
    require_budget,
    require_edge,
    require_state,
    spec_of,
    status_of,
    validated,
    with_verdict,
)
from vp_contracts.story.decider.registry import decide, handles
from vp_contracts.story.errors import (
    AlreadyExists,
    IllegalTransition,
    InvalidInput,
)
from vp_contracts.story.rules import (
    estimate_cost,
    estimate_for_spec,
    estimate_preview_seconds,
    estimate_render_seconds,
    final_profile,
    preview_profile,
    story_language,
)
from vp_contracts.story.status import (
    EDITABLE,
    RUNNING,
    SYSTEM_TRANSITIONS,
    USER_TRANSITIONS,
)
from vp_contracts.story.view import StoryView
from vp_contracts.values import (
    StorySpec,
    StoryStatus,
)

PLANNERS = ("rules", "llm")


def _created(command: c.CreateStory | c.CreateVariant, state: StoryView) -> e.StoryCreated:
    if state.exists:
        raise AlreadyExists(f"story {command.story_id} exists already")
    return e.StoryCreated(
        story_id=command.story_id,
        owner_id=command.owner_id,
        spec=command.spec,
        cost_estimate=estimate_for_spec(command.spec, command.costs),
        language=story_language(command.spec),
        variant_of=command.variant_of if isinstance(command, c.CreateVariant) else None,
    )


@handles(c.CreateStory)
def _create(command: c.CreateStory, state: StoryView) -> list[Event]:
    return [_created(command, state)]


@handles(c.CreateVariant)
def _create_variant(command: c.CreateVariant, state: StoryView) -> list[Event]:
    """Created and planned in one decision: the source's plan, already made, is the plan."""
    created = _created(command, state)
    if not command.scenes:
        raise InvalidInput.field("scenes", "a variant copies a planned story's scenes")
    seconds = sum(scene.duration_seconds for scene in command.scenes)
    return [
        created,
        e.PlanningRequested(story_id=command.story_id, attempt_id=command.attempt_id),
        e.StoryPlanned(
            story_id=command.story_id,
            attempt_id=command.attempt_id,
            scenes=command.scenes,
            planner=f"variant of {command.variant_of}",
            cost_estimate=estimate_cost(len(command.scenes), seconds, command.costs),
        ),
    ]


_IMMUTABLE_STORY_FIELDS = frozenset({"story_id", "owner_id", "status"})


@handles(c.UpdateStory)
def _update(command: c.UpdateStory, state: StoryView) -> list[Event]:
    require_state(state, EDITABLE, "edit the story")
    fixed = sorted(_IMMUTABLE_STORY_FIELDS & command.changes.keys())
    if fixed:
        raise InvalidInput.field(fixed[0], "cannot be changed")
    old = spec_of(state)
    merged = {**old.model_dump(), **command.changes}
    for nested in ("generation_params", "subtitle_style", "music"):  # merged, not replaced
        if isinstance(command.changes.get(nested), Mapping):
            current = getattr(old, nested)
            base = current.model_dump() if current is not None else {}
            merged[nested] = {**base, **command.changes[nested]}
    spec: StorySpec = validated(StorySpec, merged)
    changed = tuple(
        name for name in StorySpec.model_fields if getattr(spec, name) != getattr(old, name)
    )
    if not changed:
        return []
    scene_count = len(state.scenes) or None
    estimate = (
        estimate_cost(scene_count, state.duration_seconds, command.costs)
        if scene_count
        else estimate_for_spec(spec, command.costs)
    )
    return [
        e.StoryUpdated(
            story_id=command.story_id,
            spec=spec,
            changed=changed,
            cost_estimate=estimate,
            language=story_language(spec),
        )
    ]


@handles(c.RequestPlanning)
def _request_planning(command: c.RequestPlanning, state: StoryView) -> list[Event]:
    require_edge(state, StoryStatus.PLANNING, "plan the story")
    if command.planner is not None and command.planner not in PLANNERS:
        raise InvalidInput.field("planner", f"must be one of {', '.join(PLANNERS)}")
    requested = e.PlanningRequested(
        story_id=command.story_id, attempt_id=command.attempt_id, planner=command.planner
    )
    return with_verdict(command.content, command.story_id, "planning", [requested])


@handles(c.RequestPreview)
def _request_preview(command: c.RequestPreview, state: StoryView) -> list[Event]:
    require_edge(state, StoryStatus.PREVIEWING, "generate a preview")
    require_budget(state, command.spending, "preview")
    profile = preview_profile(spec_of(state))
    requested = e.PreviewRequested(
        story_id=command.story_id,
        attempt_id=command.attempt_id,
        scene_ids=tuple(scene.scene_id for scene in state.scenes),
        profile=profile,
        estimated_seconds=estimate_preview_seconds(len(state.scenes), state.duration_seconds),
    )
    return with_verdict(command.content, command.story_id, "preview", [requested])


@handles(c.RequestRender)
def _request_render(command: c.RequestRender, state: StoryView) -> list[Event]:
    require_edge(state, StoryStatus.RENDERING, "render the final video")
    require_budget(state, command.spending, "final")
    profile = final_profile(spec_of(state))
    requested = e.RenderRequested(
        story_id=command.story_id,
        attempt_id=command.attempt_id,
        scene_ids=tuple(scene.scene_id for scene in state.scenes),
        profile=profile,
        estimated_seconds=estimate_render_seconds(
            len(state.scenes), state.duration_seconds, profile
        ),
    )
    return with_verdict(command.content, command.story_id, "final", [requested])


@handles(c.Cancel)
def _cancel(command: c.Cancel, state: StoryView) -> list[Event]:
    require_state(state, RUNNING, "cancel")
    attempt = state.attempt
    assert attempt is not None
    if command.attempt_id is not None and command.attempt_id != attempt.id:
        return []
    return [e.StoryCancelled(story_id=command.story_id, attempt_id=attempt.id, stage=attempt.stage)]


@handles(c.Archive)
def _archive(command: c.Archive, state: StoryView) -> list[Event]:
    require_edge(state, StoryStatus.ARCHIVED, "archive the story")
    return [e.StoryArchived(story_id=command.story_id)]


@handles(c.GiveFeedback)
def _give_feedback(command: c.GiveFeedback, state: StoryView) -> list[Event]:
    require_state(state, frozenset({StoryStatus.COMPLETED}), "rate the video")
    if not 1 <= command.rating <= 5:
        raise InvalidInput.field("rating", "1 to 5 stars")
    comment = command.comment.strip()
    if len(comment) > 1000:
        raise InvalidInput.field("comment", "at most 1000 characters")
    return [e.FeedbackGiven(story_id=command.story_id, rating=command.rating, comment=comment)]


def _from_only(source: StoryStatus, target: StoryStatus, action: str, state: StoryView) -> None:
    if status_of(state) != source:
        current = status_of(state)
        raise IllegalTransition(
            f"cannot {action}: the story is {current.value}", current, USER_TRANSITIONS[current]
        )
    require_edge(state, target, action)


@handles(c.Restore)
def _restore(command: c.Restore, state: StoryView) -> list[Event]:
    _from_only(StoryStatus.ARCHIVED, StoryStatus.DRAFT, "restore the story", state)
    return [e.StoryRestored(story_id=command.story_id)]


@handles(c.Reset)
def _reset(command: c.Reset, state: StoryView) -> list[Event]:
    _from_only(StoryStatus.FAILED, StoryStatus.DRAFT, "reset the story to draft", state)
    return [e.StoryReset(story_id=command.story_id)]


@handles(c.Reopen)
def _reopen(command: c.Reopen, state: StoryView) -> list[Event]:
    _from_only(
        StoryStatus.PREVIEW_READY, StoryStatus.PLANNED, "reopen the scenes for editing", state
    )
    return [e.StoryReopened(story_id=command.story_id)]


_TRANSITION_COMMANDS: Mapping[
    tuple[StoryStatus, StoryStatus], Callable[[c.Transition], c.Command]
] = {
    (StoryStatus.PLANNING, StoryStatus.DRAFT): lambda t: c.Cancel(story_id=t.story_id),
    (StoryStatus.PLANNING, StoryStatus.PLANNED): lambda t: c.Cancel(story_id=t.story_id),
    (StoryStatus.PREVIEWING, StoryStatus.PLANNED): lambda t: c.Cancel(story_id=t.story_id),
    (StoryStatus.RENDERING, StoryStatus.PREVIEW_READY): lambda t: c.Cancel(story_id=t.story_id),
    (StoryStatus.FAILED, StoryStatus.DRAFT): lambda t: c.Reset(story_id=t.story_id),
    (StoryStatus.ARCHIVED, StoryStatus.DRAFT): lambda t: c.Restore(story_id=t.story_id),
    (StoryStatus.PREVIEW_READY, StoryStatus.PLANNED): lambda t: c.Reopen(story_id=t.story_id),
}
_TRANSITION_TARGETS: Mapping[StoryStatus, Callable[[c.Transition], c.Command]] = {
    StoryStatus.PLANNING: lambda t: c.RequestPlanning(
        story_id=t.story_id, attempt_id=t.attempt_id, content=t.content
    ),
    StoryStatus.PREVIEWING: lambda t: c.RequestPreview(
        story_id=t.story_id, attempt_id=t.attempt_id, spending=t.spending, content=t.content
    ),
    StoryStatus.RENDERING: lambda t: c.RequestRender(
        story_id=t.story_id, attempt_id=t.attempt_id, spending=t.spending, content=t.content
    ),
    StoryStatus.ARCHIVED: lambda t: c.Archive(story_id=t.story_id),
}


@handles(c.Transition)
def _transition(command: c.Transition, state: StoryView) -> list[Event]:
    current = status_of(state)
    edge = (current, command.to)
    if command.to not in USER_TRANSITIONS[current]:
        if edge in SYSTEM_TRANSITIONS:
            message = f"the story becomes {command.to.value} when its {current.value} work finishes"
        else:
            message = f"cannot go from {current.value} to {command.to.value}"
        # A cancelled re-plan lands in planned; a cancelled first plan in draft.
        if edge == (StoryStatus.PLANNING, StoryStatus.PLANNED) and state.scenes:
            return decide(c.Cancel(story_id=command.story_id), state)
        raise IllegalTransition(message, current, USER_TRANSITIONS[current])
    if edge == (StoryStatus.PLANNING, StoryStatus.DRAFT) and state.scenes:
        raise IllegalTransition(
            "cancelling a re-plan keeps the existing plan: ask for 'planned'",
            current,
            USER_TRANSITIONS[current],
        )
    build = _TRANSITION_COMMANDS.get(edge) or _TRANSITION_TARGETS[command.to]
    return decide(build(command), state)
