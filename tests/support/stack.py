"""The local stack (``vp-stack``) as the tests use it: in a temporary folder, on free ports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from vp_devtools import devnats
from vp_devtools.stack import PORT_VARIABLES

API = "/api/ai-video"


@dataclass
class Stack:
    home: Path
    env: dict[str, str]

    @property
    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads((self.home / "stack.json").read_text())
        return state

    @property
    def gateway(self) -> str:
        return str(self.state["urls"]["gateway"])

    def command(self, *args: str) -> subprocess.CompletedProcess[str]:
        binary = Path(sys.executable).parent / "vp-stack"
        return subprocess.run(
            [str(binary), *args, "--home", str(self.home)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=240,
        )

    @asynccontextmanager
    async def user(
        self, email: str, password: str = "correct horse battery"
    ) -> AsyncIterator[httpx.AsyncClient]:
        """A client logged in as ``email`` (registered if new)."""
        async with httpx.AsyncClient(base_url=self.gateway, timeout=30) as http:
            credentials = {"email": email, "password": password}
            await http.post("/api/auth/register", json=credentials)
            answer = await http.post("/api/auth/token", json=credentials)
            answer.raise_for_status()
            http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
            yield http


@contextmanager
def local_stack(home: Path, **extra: str) -> Iterator[Stack]:
    """``vp-stack up`` with the embedded defaults only (no VP_* of the caller), then ``down``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("VP_")}
    env.update({variable: str(devnats.free_port()) for variable in PORT_VARIABLES.values()})
    env.update(extra)
    stack = Stack(home, env)
    started = stack.command("up")
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield stack
    finally:
        stopped = stack.command("down")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
