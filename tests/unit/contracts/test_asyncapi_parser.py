"""The AsyncAPI document through the official parser (@asyncapi/parser, installed by make in
contracts/tools): other teams' tools read it the way this test does."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from vp_contracts.schema.asyncapi import asyncapi_document

TOOLS = Path(__file__).resolve().parents[3] / "contracts" / "tools"


def validate(document: dict[str, Any], folder: Path) -> subprocess.CompletedProcess[str]:
    if not (TOOLS / "node_modules" / "@asyncapi" / "parser").exists():
        pytest.fail(
            "the AsyncAPI parser is not installed: make contracts/tools/node_modules/.installed"
        )
    path = folder / "asyncapi.json"
    path.write_text(json.dumps(document))
    return subprocess.run(
        ["node", str(TOOLS / "validate.mjs"), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_official_parser_accepts_the_document(tmp_path: Path) -> None:
    document = asyncapi_document()

    checked = validate(document, tmp_path)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"{len(document['channels'])} channels" in checked.stdout


def test_the_parser_refuses_a_reference_to_nothing(tmp_path: Path) -> None:
    """The check can fail: a message pointing at a missing schema is an error."""
    document = asyncapi_document()
    message = document["components"]["messages"]["vp_story_completed_v1"]
    message["payload"] = {"$ref": "#/components/schemas/Nowhere"}

    checked = validate(document, tmp_path)

    assert checked.returncode == 1
    assert "Nowhere" in checked.stdout
