"""The whole OpenAPI under a property-based fuzzer (Schemathesis, pinned) and hand-made bad ids
on every route that takes one: never a server error, every answer as documented."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.gateway import ADMIN, RunningGateway

pytestmark = pytest.mark.e2e
API = "/api/ai-video"
BAD_IDS = ("a.b", "x y", "%ff%fe", "vÓ", "*", ">", "..", "0" * 65, "3f2c9a4e")
EXAMPLES_PER_OPERATION = 20


async def _seed(gateway: RunningGateway, token: str) -> dict[str, list[str]]:
    """Stories in several states, their scenes and jobs: ids the fuzzer mixes into its cases
    so it reaches the routes' logic, not only their 404s."""
    ids: dict[str, list[str]] = {"stories": [], "scenes": [], "jobs": []}
    async with gateway.client(token) as http:
        for index in range(4):
            story = (
                await http.post(
                    f"{API}/stories/",
                    json={
                        "title": f"Seed {index}",
                        "character_prompt": "a fox",
                        "background_prompt": "a forest",
                        "duration_seconds": 14,
                    },
                )
            ).json()
            ids["stories"].append(story["id"])
            if index == 0:
                continue
            await http.post(f"{API}/stories/{story['id']}/transition/", json={"to": "planning"})
            await gateway.plan_as_the_planner(story["id"], scene_count=2)
            if index >= 2:
                await http.post(f"{API}/stories/{story['id']}/generate_preview/")
        for story_id in ids["stories"]:
            ids["scenes"] += [
                scene["id"]
                for scene in (await http.get(f"{API}/scenes/", params={"story": story_id})).json()
            ]
        ids["jobs"] = [job["id"] for job in (await http.get(f"{API}/jobs/")).json()["results"]]
    assert ids["scenes"] and ids["jobs"]
    return ids


def _config(ids: dict[str, list[str]]) -> str:
    """A Schemathesis config: the seeded ids drawn often, random ones otherwise."""
    lines = []
    for name, values in ids.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    for parameter, dictionary in (
        ("path.story_id", "stories"),
        ("query.story", "stories"),
        ("body.story", "stories"),
        ("path.scene_id", "scenes"),
        ("path.job_id", "jobs"),
    ):
        lines.append(f'"{parameter}" = {{ dictionary = "{dictionary}", probability = 0.7 }}')
    return "\n".join(lines) + "\n"


async def test_the_fuzzer_finds_no_server_error_and_no_undocumented_answer(
    gateway: RunningGateway, tmp_path: Path
) -> None:
    token = await gateway.user()
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(await _seed(gateway, token)))
    report = tmp_path / "report.json"
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(config),
        "run",
        f"{gateway.url}{API}/openapi.json",
        "--checks",
        "not_a_server_error,response_schema_conformance,status_code_conformance,"
        "content_type_conformance",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--phases",
        "examples,coverage,fuzzing",
        "--seed",
        "20261201",
        "--workers",
        "1",  # two threads hit CPython 3.11.7's "AST constructor recursion depth" SystemError
        "--no-shrink",
        "--suppress-health-check",
        "all",
        "--header",
        f"Authorization: Bearer {token}",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=240)
    text = out.decode(errors="replace")
    assert process.returncode == 0, text[-6000:]
    summary: dict[str, Any] = json.loads(report.read_text())
    print(json.dumps(summary.get("summary", summary), indent=1)[:2000])


async def test_bad_ids_answer_404_or_422_on_every_route_that_takes_one(
    gateway: RunningGateway,
) -> None:
    token = await gateway.user()
    admin = await gateway.user(ADMIN)  # admin routes answer 403 to anyone else, ids or not
    async with gateway.client(token) as http, gateway.client(admin) as boss:
        spec = (await http.get(f"{API}/openapi.json")).json()
        probes = 0
        for path, operations in spec["paths"].items():
            if "{" not in path or not path.startswith(API):
                continue
            caller = boss if path.startswith(f"{API}/admin/") else http
            for method in operations:
                for bad in BAD_IDS:
                    url = path.split("{", 1)[0] + bad + path.split("}", 1)[1]
                    answer = await caller.request(method.upper(), url, json={})
                    probes += 1
                    assert answer.status_code in (404, 405, 422), (method, url, answer.text)
                    assert answer.json()["error"]["message"]
        for route in ("/jobs/", "/scenes/"):
            for bad in ("", "x y", "vÓ", "a.b"):
                answer = await http.get(f"{API}{route}", params={"story": bad})
                probes += 1
                assert answer.status_code == 422, (route, bad, answer.text)
                assert answer.json()["error"]["details"]["errors"][0]["field"] == "story"
        bulk = await http.post(
            f"{API}/scenes/bulk_create/", json={"story": "vÓ", "scenes": [{"narration": "x"}]}
        )
        assert bulk.status_code == 422 and "story" in bulk.text
    assert probes > 100


async def test_a_null_body_with_a_key_is_answered_not_crashed(gateway: RunningGateway) -> None:
    token = await gateway.user()
    async with gateway.client(token) as http:
        answer = await http.post(
            f"{API}/scenes/3f2c9a4e-1b7d-4c2a-9e8f-0a1b2c3d4e5f/generate/",
            content="null",
            headers={"Content-Type": "application/json", "Idempotency-Key": "null-body-123"},
        )
    assert answer.status_code == 404, answer.text


async def test_an_oversize_body_answers_413_however_it_arrives(gateway: RunningGateway) -> None:
    token = await gateway.user()
    limit = gateway.settings.max_body_bytes
    big = json.dumps({"title": "x" * (limit + 10)}).encode()

    async def chunks() -> Any:
        for start in range(0, len(big), 4096):
            yield big[start : start + 4096]

    async with gateway.client(token) as http:
        declared = await http.post(f"{API}/stories/", content=big)
        chunked = await http.post(
            f"{API}/stories/", content=chunks(), headers={"Content-Type": "application/json"}
        )
        keyed = await http.post(
            f"{API}/stories/",
            content=chunks(),
            headers={"Content-Type": "application/json", "Idempotency-Key": "big-body-1234"},
        )
    for answer in (declared, chunked, keyed):
        assert answer.status_code == 413, answer.text
        assert answer.json()["error"]["code"] == "payload_too_large"
    assert "transfer-encoding" not in {k.lower() for k in declared.request.headers}
    assert chunked.request.headers.get("transfer-encoding") == "chunked"
