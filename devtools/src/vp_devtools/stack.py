"""``vp-stack``: the whole system on one machine, from nothing (``make up`` / ``make down``).

``up`` starts a supervisor in the background and waits until every service answers ``/readyz``.
The supervisor starts a NATS server of the project's own (unless ``VP_NATS_URL`` points at
one), declares the streams, runs the six services as separate processes, writes their output
with a name prefix to ``<home>/logs/stack.log`` (and one file per service), restarts a service
that dies, and on ``down`` stops exactly what it started. Everything lives under one folder
(``VP_HOME``, default ``.vp``): the NATS store, the SQLite database, the stored media, logs,
the generated secrets and ``stack.json`` (what runs where).

PostgreSQL, S3/MinIO or an external NATS are used instead of the embedded defaults when
``VP_DATABASE_URL``, ``VP_STORAGE_BACKEND=s3`` (+ ``VP_S3_*``) or ``VP_NATS_URL`` are set.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from vp_devtools import devnats

SERVICES = ("gateway", "notifier", "planner", "generator", "compositor", "upscaler")
DEFAULT_PORTS = {
    "gateway": 8000,
    "notifier": 8001,
    "planner": 8002,
    "generator": 8003,
    "compositor": 8004,
    "upscaler": 8005,
}
PORT_VARIABLES = {name: f"VP_{name.upper()}_PORT" for name in SERVICES}
SCALABLE = ("planner", "generator", "compositor", "upscaler")
"""Services the stack runs several processes of when ``VP_<SERVICE>_REPLICAS`` asks (each
declared consumer lets replicas x workers messages be in flight, so they share the work)."""
REPLICA_PORT_STEP = 100
"""Replica ``i`` of a service listens on its port + 100 * i (8003, 8103, 8203, ...)."""
READY_TIMEOUT = 180.0
STOP_TIMEOUT = 15.0


def port_of(name: str, env: dict[str, str]) -> int:
    service, _, index = name.partition("-")
    base = int(env.get(PORT_VARIABLES[service], DEFAULT_PORTS[service]))
    return base + REPLICA_PORT_STEP * (int(index) - 1 if index else 0)


def replicas_of(service: str, env: dict[str, str]) -> int:
    if service not in SCALABLE:
        return 1
    value = env.get(f"VP_{service.upper()}_REPLICAS", "1")
    if not value.isdigit() or not 1 <= int(value) <= 20:
        raise SystemExit(f"VP_{service.upper()}_REPLICAS={value!r}: give a number from 1 to 20")
    return int(value)


def instances(env: dict[str, str]) -> list[str]:
    """Every process the stack runs: ``generator`` alone, or ``generator-1`` .. ``-N``."""
    names = []
    for service in SERVICES:
        count = replicas_of(service, env)
        names += [service] if count == 1 else [f"{service}-{i}" for i in range(1, count + 1)]
    return names


def urls(env: dict[str, str]) -> dict[str, str]:
    gateway = f"http://127.0.0.1:{port_of('gateway', env)}"
    return {
        "gateway": gateway,
        "studio": f"{gateway}/studio/",
        "api": f"{gateway}/api/ai-video/",
        "docs": f"{gateway}/api/ai-video/docs/",
        "notifier": f"http://127.0.0.1:{port_of('notifier', env)}",
    }


def _secrets(home: Path) -> dict[str, str]:
    """Secrets the services must share, generated once per stack folder."""
    path = home / "secrets.json"
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        return stored
    made = {
        "VP_JWT_SECRET": secrets.token_urlsafe(48),
        "VP_MEDIA_SECRET": secrets.token_urlsafe(48),
    }
    path.touch(mode=0o600)
    path.write_text(json.dumps(made))
    return made


def service_env(home: Path, nats_url: str, base: dict[str, str]) -> dict[str, str]:
    """The environment of every service: the caller's ``VP_*`` win over the embedded defaults."""
    env = dict(base)
    defaults = {
        "VP_NATS_URL": nats_url,
        "VP_DATABASE_URL": f"sqlite+aiosqlite:///{(home / 'gateway.db').absolute()}",
        "VP_STORAGE_DIR": str((home / "storage").absolute()),
        "VP_MEDIA_URL": f"http://127.0.0.1:{port_of('gateway', env)}/media",
        "VP_NOTIFIER_URL": urls(env)["notifier"],
        "PYTHONUNBUFFERED": "1",
        **_secrets(home),
    }
    for key, value in defaults.items():
        env.setdefault(key, value)
    return env


def command_of(name: str) -> list[str]:
    service = name.partition("-")[0]
    binary = str(Path(sys.executable).parent / f"vp-{service}")
    return [binary, "serve"] if service == "gateway" else [binary]


def env_of(name: str, env: dict[str, str]) -> dict[str, str]:
    own = dict(env)
    port = str(port_of(name, env))
    if name == "gateway":
        own["VP_GATEWAY_PORT"] = port
    elif name == "notifier":
        own["VP_NOTIFIER_PORT"] = port
    else:
        own["VP_HEALTH_PORT"] = port
    return own


@dataclass
class Child:
    name: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = 0.0


@dataclass
class Supervisor:
    home: Path
    env: dict[str, str]
    children: dict[str, Child] = field(default_factory=dict)
    nats: devnats.NatsServerProcess | None = None
    stopping: threading.Event = field(default_factory=threading.Event)
    _log_lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> int:
        logs = self.home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self._combined = (logs / "stack.log").open("a", buffering=1)
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        try:
            nats_url = self.env.get("VP_NATS_URL")
            if not nats_url:
                self.nats = devnats.start(
                    self.home / "nats", port=int(self.env.get("VP_STACK_NATS_PORT", 0)) or None
                )
                nats_url = self.nats.url
                self._say(
                    "stack",
                    f"nats-server {self.nats.version} on {nats_url}, store {self.nats.store_dir}",
                )
            env = service_env(self.home, nats_url, self.env)
            self._declare(env)
            for name in instances(env):
                self.children[name] = Child(name, env_of(name, env))
                self._start(self.children[name])
            self._write_state(nats_url)
            while not self.stopping.wait(0.5):
                self._watch()
                self._write_state(nats_url)
        finally:
            self._stop_all()
            with contextlib.suppress(FileNotFoundError):
                (self.home / "stack.json").unlink()
            self._say("stack", "stopped")
        return 0

    def _declare(self, env: dict[str, str]) -> None:
        binary = str(Path(sys.executable).parent / "vp-streams")
        answer = subprocess.run([binary, "declare"], env=env, capture_output=True, text=True)
        for line in (answer.stdout + answer.stderr).splitlines():
            self._say("streams", line)
        if answer.returncode != 0:
            raise SystemExit(f"declaring the streams failed ({answer.returncode})")

    def _start(self, child: Child) -> None:
        child.process = subprocess.Popen(
            command_of(child.name),
            env=child.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=Path.cwd(),
        )
        child.started_at = time.monotonic()
        self._say(
            "stack",
            f"started {child.name} (pid {child.process.pid}, port {port_of(child.name, child.env)})",
        )
        assert child.process.stdout is not None
        threading.Thread(
            target=self._pump, args=(child.name, child.process.stdout), daemon=True
        ).start()

    def _watch_nats(self) -> None:
        """The embedded NATS server is supervised too: same port, same store (nothing lost)."""
        if self.nats is None or self.nats.process.poll() is None:
            return
        self._say("stack", f"nats-server exited with {self.nats.process.returncode}; restarting")
        try:
            self.nats = devnats.start(self.nats.store_dir, port=self.nats.port)
        except RuntimeError as error:
            self._say("stack", f"nats-server did not start again ({error}); trying again")
            return
        self._say("stack", f"nats-server restarted (pid {self.nats.process.pid})")

    def _watch(self) -> None:
        self._watch_nats()
        now = time.monotonic()
        for child in self.children.values():
            process = child.process
            if process is not None and process.poll() is not None:
                code = process.returncode
                if now - child.started_at > 60:
                    child.restarts = 0  # it ran for a while: start counting again
                delay = min(30.0, 2.0**child.restarts)
                child.restarts += 1
                child.next_start = now + delay
                child.process = None
                self._say("stack", f"{child.name} exited with {code}; restarting in {delay:.0f}s")
            elif process is None and now >= child.next_start:
                self._start(child)

    def _stop_all(self) -> None:
        running = [
            c.process for c in self.children.values() if c.process and c.process.poll() is None
        ]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.nats is not None:
            self.nats.stop()

    def _pump(self, name: str, stream: IO[bytes]) -> None:
        with (self.home / "logs" / f"{name}.log").open("ab") as own:
            for raw in iter(stream.readline, b""):
                own.write(raw)
                own.flush()
                self._say(name, raw.decode(errors="replace").rstrip())

    def _say(self, name: str, line: str) -> None:
        with self._log_lock:
            self._combined.write(f"{name:<10} | {line}\n")

    def _write_state(self, nats_url: str) -> None:
        state = {
            "supervisor": os.getpid(),
            "nats": {"url": nats_url, "pid": self.nats.process.pid if self.nats else None},
            "services": {
                name: {
                    "pid": child.process.pid if child.process else None,
                    "port": port_of(name, child.env),
                    "restarts": child.restarts,
                }
                for name, child in self.children.items()
            },
            "urls": urls(self.env),
        }
        path = self.home / "stack.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, indent=2))
        temporary.replace(path)


def read_state(home: Path) -> dict[str, Any] | None:
    path = home / "stack.json"
    if not path.exists():
        return None
    state: dict[str, Any] = json.loads(path.read_text())
    return state if _alive(int(state["supervisor"])) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _port_taken(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
        return True
    return False


def up(home: Path, out: IO[str]) -> int:
    state = read_state(home)
    if state is not None:
        out.write("the stack is already running\n")
        _print_urls(state, home, out)
        return 0
    env = dict(os.environ)
    names = instances(env)
    taken = [f"{n} on {port_of(n, env)}" for n in names if _port_taken(port_of(n, env))]
    if taken:
        out.write(
            f"ports in use: {', '.join(taken)}; stop what uses them or set"
            f" {', '.join(PORT_VARIABLES.values())}\n"
        )
        return 1
    (home / "logs").mkdir(parents=True, exist_ok=True)
    with (home / "logs" / "supervisor.log").open("ab") as log:
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "vp_devtools.stack", "supervise", "--home", str(home)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    out.write(f"starting the stack in {home}/ (logs: {home}/logs/stack.log)\n")
    deadline = time.monotonic() + READY_TIMEOUT
    waiting: list[str] = list(names)
    while time.monotonic() < deadline:
        if supervisor.poll() is not None:
            out.write(f"the stack stopped while starting; the end of its log:\n{_tail(home)}\n")
            return 1
        waiting = [name for name in names if not _ready(port_of(name, env))]
        if not waiting:
            state = read_state(home)
            assert state is not None
            _print_urls(state, home, out)
            return 0
        time.sleep(0.5)
    out.write(f"not ready after {READY_TIMEOUT:.0f}s: {', '.join(waiting)}\n{_tail(home)}\n")
    down(home, out)
    return 1


def down(home: Path, out: IO[str]) -> int:
    state = read_state(home)
    if state is None:
        out.write("the stack is not running\n")
        return 0
    pid = int(state["supervisor"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT + 10
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)
    out.write("the stack is stopped\n")
    return 0


def status(home: Path, out: IO[str]) -> int:
    state = read_state(home)
    if state is None:
        out.write("the stack is not running\n")
        return 3
    for name, info in state["services"].items():
        ready = "ready" if _ready(int(info["port"])) else "NOT READY"
        out.write(
            f"{name:<13} pid {info['pid']}  port {info['port']}  {ready}  restarts {info['restarts']}\n"
        )
    out.write(f"nats        {state['nats']['url']}\n")
    return 0


def _print_urls(state: dict[str, Any], home: Path, out: IO[str]) -> None:
    links = state["urls"]
    out.write(
        f"ready:\n"
        f"  studio    {links['studio']}\n"
        f"  gateway   {links['api']}\n"
        f"  API docs  {links['docs']}\n"
        f"  notifier  {links['notifier']}  (SSE: /api/ai-video/stories/<id>/events/, WebSocket: /ws/stories/<id>/)\n"
        f"  NATS      {state['nats']['url']}\n"
        f"  state     {home}/  (logs in {home}/logs/stack.log; stop with 'make down')\n"
    )


def _tail(home: Path, lines: int = 40) -> str:
    text = ""
    for name in ("supervisor.log", "stack.log"):
        path = home / "logs" / name
        if path.exists():
            text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="vp-stack", description="The local stack: up, down, status."
    )
    parser.add_argument("command", choices=["up", "down", "status", "supervise"])
    parser.add_argument("--home", default=os.environ.get("VP_HOME", ".vp"), help="state folder")
    args = parser.parse_args(argv)
    home = Path(args.home)
    home.mkdir(parents=True, exist_ok=True)
    if args.command == "supervise":
        return Supervisor(home, dict(os.environ)).run()
    action = {"up": up, "down": down, "status": status}[args.command]
    return action(home, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
