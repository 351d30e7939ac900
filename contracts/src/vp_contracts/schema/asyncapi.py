"""An AsyncAPI 3.0 document of the Story log, generated from the event models."""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass
class _Document:
    channels: dict[str, Any] = field(default_factory=dict)
    messages: dict[str, Any] = field(default_factory=dict)
    operations: dict[str, Any] = field(default_factory=dict)
    schemas: dict[str, Any] = field(
        default_factory=lambda: {"CloudEventHeaders": _CLOUDEVENT_HEADERS}
    )

    def add(
        self,
        ce_type: str,
        model: type[Any],
        schema: dict[str, Any],
        address: str,
        parameters: dict[str, str],
        stream: str,
    ) -> None:
        """One fact type: its schema, message, channel and receive operation."""
        key = ce_type.replace(".", "_")
        self.schemas[key] = self._hoisted(key, schema)
        self.messages[key] = {
            "name": ce_type,
            "title": model.__name__,
            "summary": (model.__doc__ or "").strip().splitlines()[0],
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/CloudEventHeaders"},
            "payload": {"$ref": f"#/components/schemas/{key}"},
        }
        if "$id" in schema:
            self.messages[key]["x-schema-id"] = schema["$id"]
        self.channels[key] = {
            "address": address,
            "parameters": {name: {"description": text} for name, text in parameters.items()},
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
        }
        self.operations[f"on_{key}"] = {
            "action": "receive",
            "summary": f"Subscribe to {ce_type} (stream {stream})",
            "channel": {"$ref": f"#/channels/{key}"},
        }

    def _hoisted(self, key: str, schema: dict[str, Any]) -> dict[str, Any]:
        """``schema`` with its ``$defs`` moved to the document's schemas (a ``#/$defs/..``
        reference means the document's root in AsyncAPI, where nothing is): a definition
        shared by several events is one component, a name taken by another definition gets
        the event's key in front."""
        definitions = dict(schema.get("$defs", {}))
        names: dict[str, str] = {}
        for name, definition in definitions.items():
            taken = self.schemas.get(name)
            same = taken is None or taken == _pointing(definition, {})
            names[name] = name if same else f"{key}_{name}"
        for name, definition in definitions.items():
            self.schemas[names[name]] = _pointing(definition, names)
        hoisted: dict[str, Any] = _pointing(
            {k: v for k, v in schema.items() if k != "$defs"}, names
        )
        return hoisted


def _pointing(value: Any, names: dict[str, str]) -> Any:
    """``value`` with every ``#/$defs/<name>`` reference pointing at its component."""
    if isinstance(value, dict):
        return {
            k: (
                f"#/components/schemas/{names.get(v.rsplit('/', 1)[-1], v.rsplit('/', 1)[-1])}"
                if k == "$ref" and isinstance(v, str) and v.startswith("#/$defs/")
                else _pointing(v, names)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_pointing(item, names) for item in value]
    return value


def asyncapi_document() -> dict[str, Any]:
    """The whole document: one channel, message and operation per event type, the story log's
    and the budget log's."""
    document = _Document()
    for ce_type in sorted(EVENT_TYPES):
        model = EVENT_TYPES[ce_type]
        schema = dict(event_schema(ce_type))
        schema.pop("$schema", None)
        address = f"vp.story.{{story_id}}.{model.name}"
        document.add(ce_type, model, schema, address, {"story_id": "Id of the story"}, "VP_STORY")
    for budget_model, (address, parameters) in _BUDGET_ADDRESSES.items():
        ce_type = budget_model.ce_type()
        schema = budget_model.model_json_schema() | {"title": ce_type}
        document.add(ce_type, budget_model, schema, address, parameters, "VP_BUDGETS")
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
        "channels": document.channels,
        "operations": document.operations,
        "components": {"messages": document.messages, "schemas": document.schemas},
    }
