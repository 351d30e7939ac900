"""The service images as operators get them: built from the Dockerfile (buildah, from Debian
bases made here) and run (podman), each answers /healthz and the gateway is ready.

Building six images takes minutes, so this runs with ``VP_TEST_IMAGES=1`` (``make
test-images``), not in every ``make test``."""

from __future__ import annotations

import os

import pytest
from vp_devtools import images

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(1800),  # six builds of about a minute each
    pytest.mark.skipif(
        os.environ.get("VP_TEST_IMAGES") != "1", reason="make test-images (VP_TEST_IMAGES=1)"
    ),
]


def test_every_image_builds_and_its_service_answers_when_run() -> None:
    assert images.missing_tools() == [], "make images installs buildah, podman, runc, debootstrap"
    try:
        images.build()
        found = images.run()
    finally:
        images.remove()  # the bases stay (a cache); the six service images go

    assert found == {**dict.fromkeys(images.SERVICES, 200), "gateway /readyz": 200}
