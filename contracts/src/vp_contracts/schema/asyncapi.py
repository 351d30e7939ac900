"""An AsyncAPI 3.0 document of the Story log, generated from the event models."""

from __future__ import annotations

from typing import Any

from vp_contracts import CONTRACTS_VERSION
from vp_contracts.budget import BudgetFact, BudgetSet, SpendingChanged
from vp_contracts.events.registry import EVENT_TYPES
from vp_contracts.schema.export import event_schema

_CLOUDEVENT_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "CloudEvents 1.0 attributes in binary content mode, plus JetStream dedupe",
    "required": [
        "ce-specversion",
        "ce-id",
        "ce-type",
        "ce-source",
        "ce-time",
        "ce-subject",
        "Nats-Msg-Id",
    ],
    "properties": {
        "ce-specversion": {"type": "string", "const": "1.0"},
        "ce-id": {"type": "string", "description": "Event id"},
        "ce-type": {"type": "string", "description": "vp.story.<name>.v<major>"},
        "ce-source": {"type": "string", "description": "Producing service, e.g. /vp/planner"},
        "ce-time": {"type": "string", "format": "date-time"},
        "ce-subject": {"type": "string", "description": "Story id"},
        "ce-actor": {"type": "string", "description": "User or service that caused the event"},
        "ce-correlationid": {
            "type": "string",
            "description": "Shared by everything one request caused",
        },
        "ce-causationid": {
            "type": "string",
            "description": "Command or event that caused this one",
        },
        "traceparent": {"type": "string", "description": "W3C trace context"},
        "Nats-Msg-Id": {
            "type": "string",
            "description": "Equals ce-id; JetStream drops duplicates",
        },
    },
}


_BUDGET_ADDRESSES: dict[type[BudgetFact], tuple[str, dict[str, str]]] = {
    BudgetSet: ("vp.budget.{scope}.limit", {"scope": "global, user-<digest> or project-<digest>"}),
    SpendingChanged: (
        "vp.budget.{scope}.{month}.spending",
        {"scope": "global, user-<digest> or project-<digest>", "month": "YYYY-MM"},
    ),
}


def _budget_log(
    channels: dict[str, Any],
    messages: dict[str, Any],
    operations: dict[str, Any],
    schemas: dict[str, Any],
) -> None:
    """The budget log's facts (stream VP_BUDGETS): caps set by admins and each month's
    spending, the running total in every fact."""
    for model, (address, parameters) in _BUDGET_ADDRESSES.items():
        ce_type = model.ce_type()
        key = ce_type.replace(".", "_")
        schema = model.model_json_schema()
        schema["title"] = ce_type
        schemas[key] = schema
        messages[key] = {
            "name": ce_type,
            "title": model.__name__,
            "summary": (model.__doc__ or "").strip().splitlines()[0],
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/CloudEventHeaders"},
            "payload": {"$ref": f"#/components/schemas/{key}"},
        }
        channels[key] = {
            "address": address,
            "parameters": {name: {"description": text} for name, text in parameters.items()},
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
        }
        operations[f"on_{key}"] = {
            "action": "receive",
            "summary": f"Subscribe to {ce_type} (stream VP_BUDGETS)",
            "channel": {"$ref": f"#/channels/{key}"},
        }


def asyncapi_document() -> dict[str, Any]:
    """The whole document: one channel, message and operation per event type."""
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for ce_type in sorted(EVENT_TYPES):
        model = EVENT_TYPES[ce_type]
        key = ce_type.replace(".", "_")
        schema = event_schema(ce_type)
        messages[key] = {
            "name": ce_type,
            "title": model.__name__,
            "summary": (model.__doc__ or "").strip().splitlines()[0],
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/CloudEventHeaders"},
            "payload": {"$ref": f"#/components/schemas/{key}"},
        }
        channels[key] = {
            "address": f"vp.story.{{story_id}}.{model.name}",
            "parameters": {"story_id": {"description": "Id of the story"}},
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
        }
        operations[f"on_{key}"] = {
            "action": "receive",
            "summary": f"Subscribe to {ce_type} (stream VP_STORY)",
            "channel": {"$ref": f"#/channels/{key}"},
        }
        messages[key]["x-schema-id"] = schema["$id"]
    schemas: dict[str, Any] = {"CloudEventHeaders": _CLOUDEVENT_HEADERS}
    for ce_type in sorted(EVENT_TYPES):
        schema = dict(event_schema(ce_type))
        schema.pop("$schema", None)
        schemas[ce_type.replace(".", "_")] = schema
    _budget_log(channels, messages, operations, schemas)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "VideoPlanet Story events",
            "version": CONTRACTS_VERSION,
            "description": (
                "Every fact of a Story's life on NATS JetStream (stream VP_STORY, subjects "
                "vp.story.<story_id>.<event>). Filter by event across stories with "
                "vp.story.*.<event>; read one story with vp.story.<story_id>.>. Spending caps"
                " and spending are on their own log (stream VP_BUDGETS, subjects vp.budget.>)."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "nats": {
                "host": "localhost:4222",
                "protocol": "nats",
                "description": "NATS 2.12+ with JetStream",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
