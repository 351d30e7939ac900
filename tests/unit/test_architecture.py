"""Layering rules, checked with import-linter (the contracts in pyproject.toml): each service
in layers (main, bootstrap, entrypoints, adapters, service, domain), pure domains, a runtime
without circles that imports no service and no development tool, services independent of
each other, contracts that depend on nothing of ours, clients for other teams that depend on
nothing of ours but the contracts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_import_contracts_hold(repo_root: Path) -> None:
    linter = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=repo_root, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 8 kept, 0 broken." in result.stdout
