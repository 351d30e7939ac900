"""The OpenAPI documents as client generators and readers see them: method names, examples,
declared errors, described tags."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from vp_gateway.entrypoints import schemas
from vp_gateway.entrypoints.http import create_app
from vp_gateway.settings import GatewaySettings
from vp_notifier.entrypoints.http import create_app as create_notifier_app

LOWER_CAMEL = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)*$")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(GatewaySettings()).openapi()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


@pytest.mark.parametrize("app", [create_app(GatewaySettings()), create_notifier_app()])
def test_operation_ids_are_unique_lower_camel_case_method_names(app: FastAPI) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(app.openapi())]

    assert [name for name in ids if not LOWER_CAMEL.match(name)] == []
    assert len(ids) == len(set(ids))


def test_the_operation_ids_a_client_calls_read_as_actions(document: dict[str, Any]) -> None:
    ids = {(method, path): op["operationId"] for method, path, op in operations(document)}

    assert ids[("get", "/api/ai-video/stories/")] == "listStories"
    assert ids[("post", "/api/ai-video/stories/{story_id}/generate_preview/")] == (
        "generatePreview"
    )
    assert ids[("post", "/api/auth/token")] == "logIn"


def reference(schema: dict[str, Any]) -> str:
    """The component a body refers to (an optional body is ``anyOf`` it and null)."""
    found = schema.get("$ref") or next(
        option["$ref"] for option in schema["anyOf"] if "$ref" in option
    )
    return str(found).rsplit("/", 1)[-1]


def model_of(name: str) -> type[BaseModel]:
    model = getattr(schemas, name, None)
    assert isinstance(model, type) and issubclass(model, BaseModel), f"no model for {name}"
    return model


def test_every_request_body_has_examples_that_its_model_accepts(
    document: dict[str, Any],
) -> None:
    components = document["components"]["schemas"]
    bodies = {
        reference(operation["requestBody"]["content"]["application/json"]["schema"])
        for _, _, operation in operations(document)
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    }
    assert len(bodies) >= 15

    without = sorted(name for name in bodies if not components[name].get("examples"))
    assert without == []
    for name in bodies:
        for example in components[name]["examples"]:
            model_of(name).model_validate(example)


def test_response_examples_are_valid_answers(document: dict[str, Any]) -> None:
    """As served (FastAPI leaves null fields out of the document), each example is an answer
    its model accepts."""
    components = document["components"]["schemas"]
    shown = [name for name, schema in components.items() if schema.get("examples")]

    assert {"StoryOut", "AcceptedOut", "JobOut", "ErrorOut", "TokenOut"} <= set(shown)
    for name in shown:
        for example in components[name]["examples"]:
            model_of(name).model_validate(example)


def test_every_body_may_be_too_large_and_every_error_is_the_error_format(
    document: dict[str, Any],
) -> None:
    error = {"$ref": "#/components/schemas/ErrorOut"}
    for method, path, operation in operations(document):
        responses = operation["responses"]
        if "requestBody" in operation:
            assert "413" in responses, f"{method} {path}"
        for status, answer in responses.items():
            if int(status) >= 400 and "content" in answer:
                schema = answer["content"]["application/json"]["schema"]
                assert schema == error, f"{method} {path} {status}"


def test_every_tag_is_described(document: dict[str, Any]) -> None:
    described = {tag["name"] for tag in document["tags"] if tag.get("description")}
    used = {tag for _, _, operation in operations(document) for tag in operation["tags"]}

    assert used - described == set()
