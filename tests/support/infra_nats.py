"""The NATS permissions of infra/nats/values.yaml, rendered for a real nats-server.

The Helm chart turns ``config.merge`` into nats.conf (JSON, which nats.conf extends) and writes
``"<< X >>"`` as a bare ``X``; a bare ``$VAR`` is resolved by nats-server from its environment.
This module does the same, so the tests check exactly what the chart deploys.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

VALUES = Path(__file__).resolve().parents[2] / "infra" / "nats" / "values.yaml"
_UNQUOTE = re.compile(r'"<< (.+?) >>"')
_PASSWORD_VAR = re.compile(r"^<< \$(\w+) >>$")


def values() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(VALUES.read_text())
    return loaded


def merge_block() -> dict[str, Any]:
    """``config.merge`` as the chart merges it into nats.conf."""
    block: dict[str, Any] = values()["config"]["merge"]
    return block


def users() -> dict[str, dict[str, Any]]:
    """Every user of every account by name: ``{"planner": {"user": ..., "permissions": ...}}``."""
    found: dict[str, dict[str, Any]] = {}
    for account in merge_block()["accounts"].values():
        for user in account.get("users", []):
            found[user["user"]] = user
    return found


def password_variables() -> dict[str, str]:
    """User name -> the environment variable its password is read from."""
    variables = {}
    for name, user in users().items():
        match = _PASSWORD_VAR.match(str(user["password"]))
        if match is None:
            raise ValueError(f"the password of {name} is not an environment reference")
        variables[name] = match.group(1)
    return variables


def render_conf() -> str:
    """nats.conf text of the merge block (JSON with the chart's ``<< >>`` unquoting)."""
    return _UNQUOTE.sub(lambda match: match.group(1), json.dumps(merge_block(), indent=2))
