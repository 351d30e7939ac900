"""JSON Schemas of every event type, as consumers receive them."""

from __future__ import annotations

import json
from typing import Any

from vp_contracts.events.registry import EVENT_TYPES

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_BASE_URL = "https://schemas.videoplanet.dev/events/"


def event_schema(ce_type: str) -> dict[str, Any]:
    """The JSON Schema of one event type's body (serialisation mode)."""
    model = EVENT_TYPES[ce_type]
    schema = model.model_json_schema(mode="serialization")
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": f"{SCHEMA_BASE_URL}{ce_type}.json",
        "x-ce-type": ce_type,
        "x-subject": f"vp.story.{{story_id}}.{model.name}",
        **schema,
    }


def all_schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema for every registered type, in a stable order."""
    return {f"{ce_type}.json": event_schema(ce_type) for ce_type in sorted(EVENT_TYPES)}


def dumps(document: dict[str, Any]) -> str:
    """Stable JSON text for files that are committed and diffed."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
