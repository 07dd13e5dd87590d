"""One published build of the small sample for every dashboard test (built once per session).

The dashboard reads nothing but the published snapshot, and a snapshot only exists after a
run passed its gate, so the fixture uses the real thing: the session's first night
(tests/conftest.py ``nightly_world``: ``revloop generate`` and ``revloop run --as-of`` in
subprocesses, pinned clock, local CRM sandbox, a clean environment built from nothing),
which loads, builds dbt, runs the checks, publishes ``revloop_published.duckdb`` beside the
warehouse and adds the syncs' results to it. Both test modules (the queries and the
browser) and the end-to-end tests share this one build.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

# where test_browser.py saved its screenshots (printed in the terminal summary)
SCREENSHOTS = pytest.StashKey[Path]()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    folder = config.stash.get(SCREENSHOTS, None)
    if folder is not None:
        shots = sorted(p.name for p in folder.glob("*.png"))
        terminalreporter.write_line(
            f"dashboard screenshots ({len(shots)}: {', '.join(shots)}): {folder}"
        )


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """The browser test's CI artefact: one PNG per page, the folder printed at the end."""
    folder = tmp_path_factory.mktemp("dashboard_screenshots")
    request.config.stash[SCREENSHOTS] = folder
    return folder


@pytest.fixture(scope="session")
def published(nightly_world: dict) -> dict:
    """``{"root", "env", "warehouse", "snapshot"}`` after the session's first night
    (``nightly_world``: ``revloop generate`` + ``revloop run``, gate passed, snapshot
    published), shared with the end-to-end tests, which copy it before writing."""
    run = nightly_world["first"]
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-6000:]
    env = nightly_world["env"]
    warehouse = Path(env["REVLOOP_WAREHOUSE"])
    snapshot = warehouse.with_name("revloop_published.duckdb")
    assert snapshot.exists(), run.stdout[-3000:]
    return {"root": nightly_world["root"], "env": env, "warehouse": warehouse, "snapshot": snapshot}


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
