"""The gateway's service layer on an in-memory log and in-memory ports: retrying and
cancelling jobs (and who may), accounts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest
from vp_contracts.events import story as e
from vp_contracts.ids import new_id, stage_job_id
from vp_contracts.story import commands as c
from vp_contracts.story.errors import NotFound
from vp_contracts.values import ProviderCosts, Stage
from vp_gateway.service.jobs import JobFinished, JobNotRetryable, Jobs
from vp_gateway.service.stories import Forbidden, RequestContext, Stories
from vp_gateway.service.users import Account, BadCredentials, EmailTaken, Users
from vp_runtime.eventstore import InMemoryStoryLog
from vp_runtime.web.auth import Principal

from tests.support.facts import Driver

NOW = datetime(2026, 12, 1, tzinfo=UTC)
OWNER = Principal("owner-1", "owner@example.com", "user")
ADMIN = Principal("admin-1", "admin@example.com", "admin")
STRANGER = Principal("someone", "someone@example.com", "user")


@dataclass(frozen=True)
class Row:
    id: str
    story_id: str
    owner_id: str
    attempt_id: str
    type: str
    status: str
    scene_id: str | None = None
    created_at: datetime = NOW
    started_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass
class Rows:
    rows: dict[str, Row]

    async def job(self, job_id: str) -> Row | None:
        return self.rows.get(job_id)


def _ctx(principal: Principal = OWNER) -> RequestContext:
    return RequestContext(principal=principal, at=NOW, request_id=new_id(), command_id=new_id())


async def _preview_running() -> tuple[InMemoryStoryLog, Jobs, Row]:
    log = InMemoryStoryLog()
    driver = Driver(log)
    story_id = await driver.created()
    await driver.planned(story_id)
    outcome = await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
    attempt = outcome.events[0].event.attempt_id
    row = Row(attempt, story_id, "owner-1", attempt, "preview", "running")
    jobs = Jobs(Stories(log, ProviderCosts), Rows({row.id: row}))
    return log, jobs, row


async def test_cancelling_a_running_job_cancels_its_attempt() -> None:
    _, jobs, row = await _preview_running()
    outcome = await jobs.cancel(_ctx(), row.id)
    assert [type(f.event) for f in outcome.events] == [e.StoryCancelled]


async def test_a_finished_job_cannot_be_cancelled() -> None:
    log, _, row = await _preview_running()
    jobs = Jobs(Stories(log, ProviderCosts), Rows({row.id: replace(row, status="succeeded")}))
    with pytest.raises(JobFinished, match="nothing to cancel"):
        await jobs.cancel(_ctx(), row.id)


async def test_someone_elses_job_does_not_exist_for_them_and_admins_only_read_it() -> None:
    _, jobs, row = await _preview_running()
    with pytest.raises(NotFound):
        await jobs.get(row.id, STRANGER)
    assert (await jobs.get(row.id, ADMIN)).id == row.id
    with pytest.raises(Forbidden):
        await jobs.cancel(_ctx(ADMIN), row.id)


async def test_only_failed_or_cancelled_jobs_are_retried() -> None:
    _, jobs, row = await _preview_running()
    with pytest.raises(JobNotRetryable):
        await jobs.retry(_ctx(), row.id)


async def test_retrying_a_failed_preview_plans_the_failed_story_again() -> None:
    log = InMemoryStoryLog()
    driver = Driver(log)
    story_id = await driver.created()
    await driver.planned(story_id)
    attempt = await driver.generated(story_id, Stage.PREVIEW, fail_scene=True)
    scene = Row(new_id(), story_id, "owner-1", attempt, "scene", "failed")
    stage = Row(attempt, story_id, "owner-1", attempt, "preview", "failed")
    jobs = Jobs(Stories(log, ProviderCosts), Rows({scene.id: scene, stage.id: stage}))
    retried = await jobs.retry(_ctx(), scene.id)
    assert retried.action == "plan"
    assert isinstance(retried.outcome.events[0].event, e.PlanningRequested)
    assert retried.job_id == retried.outcome.events[0].event.attempt_id


async def test_retrying_a_failed_final_renders_again() -> None:
    log = InMemoryStoryLog()
    driver = Driver(log)
    story_id = await driver.created()
    await driver.planned(story_id)
    await driver.generated(story_id, Stage.PREVIEW)
    attempt = await driver.scenes_generated(story_id, Stage.RENDER)
    upscale = Row(
        stage_job_id(attempt, "upscale"), story_id, "owner-1", attempt, "upscale", "cancelled"
    )
    final = Row(attempt, story_id, "owner-1", attempt, "final", "cancelled")
    await driver.run(c.Cancel(story_id=story_id))
    jobs = Jobs(Stories(log, ProviderCosts), Rows({upscale.id: upscale, final.id: final}))
    retried = await jobs.retry(_ctx(), upscale.id)
    assert retried.action == "render"
    assert isinstance(retried.outcome.events[0].event, e.RenderRequested)


@dataclass
class Accounts:
    by_address: dict[str, Account]

    async def add(self, account: Account) -> None:
        if account.email in self.by_address:
            raise EmailTaken(account.email)
        self.by_address[account.email] = account

    async def by_email(self, email: str) -> Account | None:
        return self.by_address.get(email)


async def test_accounts_register_once_per_address_and_log_in_with_their_password() -> None:
    users = Users(Accounts({}), admins=frozenset({"boss@example.com"}))
    account = await users.register(" Creator@Example.com ", "a long password", NOW)
    assert account.email == "creator@example.com" and account.role == "user"
    assert account.password_hash != "a long password"
    with pytest.raises(EmailTaken):
        await users.register("creator@example.com", "another password", NOW)
    principal = await users.authenticate("CREATOR@example.com", "a long password")
    assert principal == Principal(account.id, "creator@example.com", "user")
    with pytest.raises(BadCredentials):
        await users.authenticate("creator@example.com", "wrong password")
    with pytest.raises(BadCredentials):
        await users.authenticate("nobody@example.com", "a long password")
    boss = await users.register("boss@example.com", "a long password", NOW)
    assert boss.role == "admin"
