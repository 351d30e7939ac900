"""The committed clients are what the gateway's OpenAPI document makes today: a route, field or
example changed without `make clients` fails here, naming the stale files."""

from __future__ import annotations

import pytest
from vp_devtools import clients
from vp_gateway.main import openapi_document
from vp_gateway.settings import GatewaySettings


def test_the_committed_openapi_document_is_the_one_the_gateway_serves() -> None:
    assert clients.DOCUMENT.read_text() == openapi_document(GatewaySettings()) + "\n", (
        "clients/openapi.json is stale: run `make clients`"
    )


def test_the_generated_clients_are_up_to_date() -> None:
    if not (clients.ROOT / "studio" / "node_modules" / ".bin" / "openapi-typescript").exists():
        pytest.skip("the studio's packages are not installed (make studio)")
    assert clients.stale() == []
