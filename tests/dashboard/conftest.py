"""One published build of the small sample for every dashboard test (built once per session).

The dashboard reads nothing but the published snapshot, and a snapshot only exists after a
run passed its gate, so the fixture runs the real thing: ``revloop run --as-of`` in a
subprocess on a copy of ``small_world`` (pinned clock, local CRM sandbox, a clean
environment built from nothing), which loads, builds dbt, runs the checks, publishes
``revloop_published.duckdb`` beside the warehouse and adds the syncs' results to it. Both
test modules (the queries and the browser) share this one build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REVLOOP = str(Path(sys.executable).with_name("revloop"))
AS_OF = "2026-10-31T23:59:59Z"
# where test_browser.py saved its screenshots (printed in the terminal summary)
SCREENSHOTS = pytest.StashKey[Path]()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    folder = config.stash.get(SCREENSHOTS, None)
    if folder is not None:
        shots = sorted(p.name for p in folder.glob("*.png"))
        terminalreporter.write_line(
            f"dashboard screenshots ({len(shots)}: {', '.join(shots)}): {folder}"
        )


def clean_env(root: Path) -> dict[str, str]:
    """What a new user's shell has, pointed at ``root``'s files (never the caller's)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        "LANG": "C.UTF-8",
        "REVLOOP_EXTRACTS": str(root / "data" / "extracts"),
        "REVLOOP_WAREHOUSE": str(root / "warehouse" / "revloop.duckdb"),
        "REVLOOP_SANDBOX_TOKEN": "dashboard-test-token",
    }


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """The browser test's CI artefact: one PNG per page, the folder printed at the end."""
    folder = tmp_path_factory.mktemp("dashboard_screenshots")
    request.config.stash[SCREENSHOTS] = folder
    return folder


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory, small_world: dict) -> dict:
    """``{"root", "env", "warehouse", "snapshot"}`` after one gated run of the small sample."""
    root = tmp_path_factory.mktemp("dashboard_world")
    env = clean_env(root)
    shutil.copytree(small_world["extracts"], env["REVLOOP_EXTRACTS"])
    run = subprocess.run(
        [REVLOOP, "run", "--as-of", AS_OF],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-6000:]
    warehouse = Path(env["REVLOOP_WAREHOUSE"])
    snapshot = warehouse.with_name("revloop_published.duckdb")
    assert snapshot.exists(), run.stdout[-3000:]
    return {"root": root, "env": env, "warehouse": warehouse, "snapshot": snapshot}


@pytest.fixture(scope="module")
def snap(published: dict):
    """A read-only connection on the published snapshot, in UTC (what the app opens)."""
    from dashboard.snapshot import open_read_only

    con = open_read_only(published["snapshot"])
    yield con
    con.close()


@pytest.fixture(scope="module")
def live(published: dict):
    """A read-only connection on the working warehouse the build came from (to compare)."""
    con = duckdb.connect(str(published["warehouse"]), read_only=True)
    yield con
    con.close()
