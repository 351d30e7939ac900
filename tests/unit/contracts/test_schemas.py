"""JSON Schemas: exported files match the code, and released v1 schemas only grow."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from vp_contracts.cli import expected_files
from vp_contracts.events import EVENT_TYPES
from vp_contracts.schema.asyncapi import asyncapi_document
from vp_contracts.schema.compat import breaking_changes
from vp_contracts.schema.export import all_schemas

SCHEMAS = Path(__file__).resolve().parents[3] / "contracts" / "schemas"
RELEASED = sorted((SCHEMAS / "released").glob("*/*.json"))


def test_every_event_type_has_a_major_version_and_its_own_subject_token() -> None:
    names = [cls.name for cls in EVENT_TYPES.values()]
    assert len(names) == len(set(names))
    assert all(t.startswith("vp.story.") and t.endswith(".v1") for t in EVENT_TYPES)


@pytest.mark.parametrize("ce_type", sorted(EVENT_TYPES))
def test_every_field_of_every_event_is_described(ce_type: str) -> None:
    schema = all_schemas()[f"{ce_type}.json"]
    missing = []

    def walk(node: dict[str, object], path: str) -> None:
        for name, prop in (node.get("properties") or {}).items():  # type: ignore[union-attr]
            if "description" not in prop:
                missing.append(f"{path}.{name}")
        for name, sub in (node.get("$defs") or {}).items():  # type: ignore[union-attr]
            walk(sub, name)

    walk(schema, ce_type)
    assert not missing, f"fields without a description: {missing}"


def test_exported_files_match_the_code() -> None:
    stale = [
        relative
        for relative, text in expected_files().items()
        if not (SCHEMAS / relative).exists()
        or (SCHEMAS / relative).read_text(encoding="utf-8") != text
    ]
    assert not stale, f"run `make schemas` and commit: {stale}"


def test_there_is_a_released_v1_baseline_for_every_type() -> None:
    released = {path.name for path in RELEASED}
    assert {f"{ce_type}.json" for ce_type in EVENT_TYPES} <= released


@pytest.mark.parametrize("path", RELEASED, ids=lambda p: p.name)
def test_current_schema_is_compatible_with_the_released_one(path: Path) -> None:
    current = all_schemas().get(path.name)
    assert current is not None, f"{path.name} was released and must stay (publish v2 beside it)"
    assert breaking_changes(json.loads(path.read_text()), current) == []


def _created() -> dict[str, object]:
    return copy.deepcopy(all_schemas()["vp.story.created.v1.json"])


def test_adding_an_optional_field_is_compatible() -> None:
    new = _created()
    new["properties"]["mood"] = {"type": "string", "description": "x"}  # type: ignore[index]
    assert breaking_changes(_created(), new) == []


def test_removing_a_field_is_breaking() -> None:
    new = _created()
    del new["properties"]["owner_id"]  # type: ignore[attr-defined]
    assert breaking_changes(_created(), new) == ["body.owner_id: removed"]


def test_a_new_required_field_is_breaking() -> None:
    new = _created()
    new["properties"]["mood"] = {"type": "string"}  # type: ignore[index]
    new["required"] = [*new["required"], "mood"]  # type: ignore[misc]
    assert breaking_changes(_created(), new) == ["body.mood: became required"]


def test_changing_a_type_or_narrowing_an_enum_is_breaking() -> None:
    new = _created()
    new["properties"]["owner_id"] = {"type": "integer"}  # type: ignore[index]
    new["$defs"]["Style"]["enum"] = ["realistic"]  # type: ignore[index]
    problems = breaking_changes(_created(), new)
    assert any("owner_id" in p and "no longer accepts string" in p for p in problems)
    assert any("style" in p for p in problems)


def test_tightening_a_limit_is_breaking() -> None:
    new = _created()
    new["$defs"]["StorySpec"]["properties"]["title"]["maxLength"] = 50  # type: ignore[index]
    assert breaking_changes(_created(), new) == ["body.spec.title: maxLength tightened to 50"]


def test_asyncapi_document_has_a_channel_and_message_per_event_type() -> None:
    document = asyncapi_document()
    assert document["asyncapi"] == "3.0.0"
    assert len(document["channels"]) == len(EVENT_TYPES) + 2  # and the budget log's two
    channel = document["channels"]["vp_story_planned_v1"]
    assert channel["address"] == "vp.story.{story_id}.planned"
    message = document["components"]["messages"]["vp_story_planned_v1"]
    assert message["payload"] == {"$ref": "#/components/schemas/vp_story_planned_v1"}
    spending = document["channels"]["vp_budget_spending_changed_v1"]
    assert spending["address"] == "vp.budget.{scope}.{month}.spending"
    schema = document["components"]["schemas"]["vp_budget_spending_changed_v1"]
    assert {"change", "total", "month"} <= set(schema["properties"])
