"""`dagster dev` from the repository root, with no arguments and no activated venv, loads the
whole code location: the UI shows every asset of the definitions.

The webserver's GraphQL API is asked for its asset nodes; PATH holds only system folders, so a
code location that looked for `dbt` on PATH (dagster-dbt's prepare_if_dev) fails here.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
DAGSTER = Path(sys.executable).with_name("dagster")
QUERY = """
{
  workspaceOrError {
    ... on Workspace { locationEntries { name locationOrLoadError {
      __typename ... on PythonError { message } } } }
  }
  assetNodes { assetKey { path } }
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(url: str) -> dict | None:
    try:
        response = requests.post(url, json={"query": QUERY}, timeout=10)
    except requests.RequestException:
        return None
    return response.json() if response.ok else None


def test_dagster_dev_loads_every_asset_without_a_venv_on_path(
    tmp_path: Path, dbt_manifest: Path
) -> None:
    from orchestration.definitions import defs

    expected = {tuple(k.path) for k in defs.resolve_asset_graph().get_all_asset_keys()}
    port = _free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "REVLOOP_WAREHOUSE": str(tmp_path / "warehouse" / "revloop.duckdb"),
        "REVLOOP_EXTRACTS": str(tmp_path / "extracts"),
    }
    (tmp_path / "dagster_home").mkdir()
    log = (tmp_path / "dagster-dev.log").open("w")
    proc = subprocess.Popen(
        [str(DAGSTER), "dev", "--port", str(port), "--host", "127.0.0.1"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        deadline = time.monotonic() + 240
        data = None
        while time.monotonic() < deadline and proc.poll() is None:
            data = _graphql(url)
            entries = (data or {}).get("data", {}).get("workspaceOrError", {})
            locations = entries.get("locationEntries") or []
            if locations and all(e["locationOrLoadError"] for e in locations):
                break
            time.sleep(1)  # polling a server that is starting: no event to wait on
        assert data is not None, (tmp_path / "dagster-dev.log").read_text()[-3000:]
        (location,) = data["data"]["workspaceOrError"]["locationEntries"]
        assert location["name"] == "revloop"
        loaded = location["locationOrLoadError"]
        assert loaded["__typename"] == "RepositoryLocation", loaded.get("message")
        shown = {tuple(n["assetKey"]["path"]) for n in data["data"]["assetNodes"]}
        assert shown == expected
        assert any(k[0] == "marts" for k in shown) and len(shown) > 50
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_dagster_definitions_validate_from_the_root(tmp_path: Path, dbt_manifest: Path) -> None:
    result = subprocess.run(
        [str(DAGSTER), "definitions", "validate"],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DAGSTER_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


pytestmark = pytest.mark.timeout(400)
