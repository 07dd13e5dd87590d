"""The nightly loop as a newcomer runs it, pinned: world, clock and shell the same on any day
(shared by the ``nightly_world`` fixture in conftest.py and the tests that copy it)."""

from __future__ import annotations

import os
from pathlib import Path

NIGHTLY_END_DATE = "2026-10-31"
NIGHTLY_AS_OF = "2026-10-31T23:59:59Z"
NIGHTLY_TOKEN = "e2e-secret-token-do-not-log"


def nightly_env(root: Path) -> dict[str, str]:
    """What a new user's shell has (never the caller's), pointed at ``root``'s files."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        "LANG": "C.UTF-8",
        "REVLOOP_EXTRACTS": str(root / "data" / "extracts"),
        "REVLOOP_WAREHOUSE": str(root / "warehouse" / "revloop.duckdb"),
        "REVLOOP_SANDBOX_TOKEN": NIGHTLY_TOKEN,
    }
