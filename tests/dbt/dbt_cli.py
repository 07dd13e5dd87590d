"""``dbt`` as the tests run it: a subprocess of the venv's dbt on a given warehouse, with the
project's profile and the target and logs in the test's own folder (never the checkout's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")


def run_dbt(
    args: list[str], warehouse: Path, tmp: Path, vars_: dict | None = None, timeout: int = 1200
) -> subprocess.CompletedProcess[str]:
    """``dbt <args>`` on ``warehouse``; ``vars_`` as ``--vars`` (None: the project's own)."""
    env = dict(os.environ, REVLOOP_WAREHOUSE=str(warehouse), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    cmd = [
        str(DBT), *args, "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
        "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs"),
    ]  # fmt: skip
    if vars_ is not None:
        cmd += ["--vars", json.dumps(vars_)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
