"""``vp-images``: the service images, built from the project's Dockerfile with buildah and run
with podman, on a machine with no container registry and no container daemon.

The Dockerfile's three base images are build arguments; ``bases`` makes them here:

- ``localhost/videoplanet/python:3.11-bookworm``: a Debian bookworm root made with debootstrap
  from Debian's packages (python3.11, ca-certificates), with the machine's trust store (so
  that a build behind a TLS-inspecting proxy reaches PyPI and npm);
- ``localhost/videoplanet/node:20-bookworm``: the same root with this machine's Node.js and npm
  (the studio's build stage);
- ``localhost/videoplanet/uv:<version>``: the uv binary the workspace pins.

``build`` builds every service image (``localhost/videoplanet/<service>:local``) from those;
``run`` starts NATS and the six services from the images and checks that each answers
``/healthz`` (and the gateway ``/readyz``), then removes the containers; ``remove`` removes
the service images (vfs keeps whole copies: about 5 GB for the six).

Storage driver vfs and chroot isolation (no overlay mounts or user namespaces needed); podman
runs with runc, cgroupfs and the process's own limits (crun refuses hybrid cgroups here).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from vp_devtools import devnats

ROOT = Path(__file__).resolve().parents[3]
SERVICES = ("gateway", "planner", "generator", "compositor", "upscaler", "notifier")
UV_VERSION = re.search(  # the Dockerfile's pin (the Makefile pins the same)
    r"^ARG UV_VERSION=(\S+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE
)[1]  # type: ignore[index]
PYTHON_BASE = "localhost/videoplanet/python:3.11-bookworm"
NODE_BASE = "localhost/videoplanet/node:20-bookworm"
UV_BASE = f"localhost/videoplanet/uv:{UV_VERSION}"
TRUST = Path("/etc/ssl/certs/ca-certificates.crt")
TOOLS = ("buildah", "podman", "runc", "debootstrap")


def image(service: str) -> str:
    return f"localhost/videoplanet/{service}:local"


BUILDAH = ("buildah", "--storage-driver", "vfs")


def buildah(*args: str, capture: bool = False) -> str:
    found = subprocess.run(
        [*BUILDAH, *args],
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return (found.stdout or "").strip()


@contextlib.contextmanager
def podman_config() -> Iterator[dict[str, str]]:
    """The environment podman runs in: no default ulimits (the process's own apply)."""
    with tempfile.TemporaryDirectory() as folder:
        conf = Path(folder) / "containers.conf"
        conf.write_text("[containers]\ndefault_ulimits = []\n")
        yield {**os.environ, "CONTAINERS_CONF": str(conf)}


PODMAN = ("podman", "--storage-driver", "vfs", "--runtime", "runc", "--cgroup-manager", "cgroupfs")


def podman(env: dict[str, str], *args: str, check: bool = True) -> str:
    found = subprocess.run([*PODMAN, *args], env=env, check=check, text=True, capture_output=True)
    return found.stdout.strip()


def exists(name: str) -> bool:
    found = subprocess.run([*BUILDAH, "inspect", "--type", "image", name], capture_output=True)
    return found.returncode == 0


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def bases() -> None:
    """The three base images, made once (kept in the local image store)."""
    if not exists(PYTHON_BASE):
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder) / "root"
            print(f"debootstrap: a Debian bookworm root for {PYTHON_BASE}", flush=True)
            subprocess.run(
                [
                    "debootstrap",
                    "--variant=minbase",
                    "--include=python3.11,ca-certificates",
                    "bookworm",
                    str(root),
                    "http://deb.debian.org/debian",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            shutil.rmtree(root / "var" / "lib" / "apt" / "lists", ignore_errors=True)
            (root / "var" / "lib" / "apt" / "lists" / "partial").mkdir(parents=True)
            for deb in (root / "var" / "cache" / "apt" / "archives").glob("*.deb"):
                deb.unlink()
            tar = Path(folder) / "root.tar"
            subprocess.run(["tar", "-C", str(root), "-cf", str(tar), "."], check=True)
            container = buildah("from", "scratch", capture=True)
            buildah("add", container, str(tar), "/")
            buildah("copy", container, str(TRUST), str(TRUST))
            buildah(
                "run", "--isolation", "chroot", container, "--", "sh", "-c",
                "for name in python3.11 python3 python; do"
                " ln -sf /usr/bin/python3.11 /usr/local/bin/$name; done",
            )  # fmt: skip
            buildah(
                "config",
                "--env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "--env", "UV_NATIVE_TLS=1",
                "--env", f"SSL_CERT_FILE={TRUST}",
                container,
            )  # fmt: skip
            buildah("commit", "-q", "--rm", container, PYTHON_BASE)
    if not exists(NODE_BASE):
        node = Path(shutil.which("node") or "node").resolve()
        npm = Path(shutil.which("npm") or "npm").resolve().parents[1]
        container = buildah("from", PYTHON_BASE, capture=True)
        buildah("copy", container, str(node), "/usr/local/bin/node")
        buildah("copy", container, str(npm), "/usr/local/lib/node_modules/npm")
        buildah(
            "run", "--isolation", "chroot", container, "--", "ln", "-sf",
            "../lib/node_modules/npm/bin/npm-cli.js", "/usr/local/bin/npm",
        )  # fmt: skip
        buildah("config", "--env", f"NODE_EXTRA_CA_CERTS={TRUST}", container)
        buildah("commit", "-q", "--rm", container, NODE_BASE)
    if not exists(UV_BASE):
        uv = shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
        container = buildah("from", "scratch", capture=True)
        buildah("copy", container, uv, "/uv")
        buildah("commit", "-q", "--rm", container, UV_BASE)


def build(services: tuple[str, ...] = SERVICES) -> dict[str, float]:
    """Each service's image from the Dockerfile; seconds per image."""
    bases()
    seconds = {}
    for service in services:
        started = time.perf_counter()
        buildah(
            "bud", "--isolation", "chroot", "--layers=false", "--squash", "--format", "docker",
            "--build-arg", f"SERVICE={service}",
            "--build-arg", f"PYTHON_IMAGE={PYTHON_BASE}",
            "--build-arg", f"NODE_IMAGE={NODE_BASE}",
            "--build-arg", f"UV_IMAGE={UV_BASE}",
            "-t", image(service), "-f", str(ROOT / "Dockerfile"), str(ROOT),
        )  # fmt: skip
        buildah("rmi", "--prune")  # vfs keeps a whole copy per layer: drop the stages'
        seconds[service] = time.perf_counter() - started
        print(f"built {image(service)} in {seconds[service]:.0f} s", flush=True)
    return seconds


def remove(services: tuple[str, ...] = SERVICES) -> None:
    """The service images (the bases stay: making them again takes a debootstrap)."""
    for service in services:
        if exists(image(service)):
            buildah("rmi", "-f", image(service))
    buildah("rmi", "--prune")


def answers(url: str, deadline: float) -> int:
    """The status of ``url`` once it answers (0 if it never did before ``deadline``)."""
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
        time.sleep(0.5)
    return 0


def run(timeout: float = 90) -> dict[str, int]:
    """NATS, the streams declared and the six services, each from its image with host
    networking; the status of each service's ``/healthz`` and the gateway's ``/readyz``."""
    tag = f"vp-check-{os.getpid()}"
    with (
        tempfile.TemporaryDirectory() as folder,
        podman_config() as env,
    ):
        nats = devnats.start(Path(folder) / "nats")
        ports = {service: devnats.free_port() for service in SERVICES}
        common = [
            "-e", f"VP_NATS_URL={nats.url}",
            "-e", "VP_JWT_SECRET=" + "j" * 40,
            "-e", "VP_MEDIA_SECRET=" + "m" * 40,
            "-e", "VP_DATABASE_URL=sqlite+aiosqlite:////tmp/gateway.db",
        ]  # fmt: skip
        started: list[str] = []
        try:
            podman(
                env, "run", "--rm", "--network", "host", *common,
                "--entrypoint", "/app/.venv/bin/vp-streams", image("gateway"), "declare",
            )  # fmt: skip
            for service, port in ports.items():
                variable = {"gateway": "VP_GATEWAY_PORT", "notifier": "VP_NOTIFIER_PORT"}.get(
                    service, "VP_HEALTH_PORT"
                )
                name = f"{tag}-{service}"
                podman(
                    env, "run", "-d", "--name", name, "--network", "host", *common,
                    "-e", f"{variable}={port}", image(service),
                )  # fmt: skip
                started.append(name)
            deadline = time.monotonic() + timeout
            found = {
                service: answers(f"http://127.0.0.1:{port}/healthz", deadline)
                for service, port in ports.items()
            }
            found["gateway /readyz"] = answers(
                f"http://127.0.0.1:{ports['gateway']}/readyz", deadline
            )
            return found
        finally:
            for name in started:
                podman(env, "rm", "-f", name, check=False)
            nats.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vp-images", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["bases", "build", "run", "remove"])
    parser.add_argument("services", nargs="*", default=list(SERVICES))
    args = parser.parse_args(argv)
    if missing := missing_tools():
        print(f"missing: {' '.join(missing)} (make images installs them)", file=sys.stderr)
        return 1
    if args.command == "bases":
        bases()
    elif args.command == "build":
        build(tuple(args.services))
    elif args.command == "remove":
        remove(tuple(args.services))
    else:
        found = run()
        for name, status in found.items():
            print(f"{name:<16} {status or 'no answer'}")
        return 0 if all(status == 200 for status in found.values()) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
