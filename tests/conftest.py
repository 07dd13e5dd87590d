"""Suite-wide fixtures: every test owns its world.

A developer who has just run the demo (``data/extracts`` populated, ``REVLOOP_*`` exported
by the Makefile, maybe a real ``SALESFORCE_INSTANCE_URL``) must get exactly what a clean CI
clone gets. So before each test every variable that could point revloop at the caller's
files, warehouse, CRM or Dagster instance is removed; fixtures pass explicit paths instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.server import SandboxHandle, start_background
from tests.nightly import NIGHTLY_AS_OF, NIGHTLY_END_DATE, nightly_env

SEALED_PREFIXES = ("REVLOOP_", "SALESFORCE_", "HUBSPOT_", "MARKETO_", "DBT_")
SEALED_NAMES = ("DAGSTER_HOME",)
# dbt settings the suite itself relies on stay: indirect selection for asset checks.
KEEP = {"DBT_INDIRECT_SELECTION"}
SANDBOX_TEST_TOKEN = "test-sandbox-token"


def sealed_names(environ: dict[str, str] | os._Environ[str]) -> list[str]:
    """The variables a test must never inherit from whoever started pytest."""
    return [
        name
        for name in environ
        if name not in KEEP and (name.startswith(SEALED_PREFIXES) or name in SEALED_NAMES)
    ]


@pytest.fixture(autouse=True)
def _sealed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in sealed_names(os.environ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxHandle]:
    """A fresh, EMPTY sandbox subprocess on an ephemeral port with its own SQLite file.

    The handle exposes .url, .token, .db_path, .stop(), .configure_faults(**faults),
    .configure(**config), .request_log() and .reset(data=False).
    """
    handle = start_background(
        port=0,
        db_path=tmp_path / "sandbox" / "sandbox.sqlite",
        extracts=None,
        token=SANDBOX_TEST_TOKEN,
    )
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The ``small`` sample (seed 42, world ending on ``REFERENCE_END_DATE``), generated once
    per session into a session folder: ``{"extracts": Path, "truth": Path, "counts": dict}``
    (counts as ``generate`` returns them).

    Read-only by convention: a test that deletes or rewrites files copies the folder first
    (``shutil.copytree``), so the tests sharing it never see each other's edits.
    """
    from connectors.generate import REFERENCE_END_DATE, generate

    root = tmp_path_factory.mktemp("small_world")
    counts = generate(
        root / "extracts",
        scale="small",
        seed=42,
        truth_dir=root / "truth",
        end_date=REFERENCE_END_DATE,
    )
    return {"extracts": root / "extracts", "truth": root / "truth", "counts": counts}


@pytest.fixture(scope="session")
def nightly_world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """ONE first night, shared: ``revloop generate --scale small`` then ``revloop run`` (real
    CLI, subprocesses, clean environment, bundled CRM sandbox) in a session folder.

    ``{"root", "env", "generate", "first"}`` (the two CompletedProcess results; the run's
    success is for the caller to assert, with its output). The end-to-end tests copy the
    folder before their second night; the dashboard tests read its published snapshot.
    Read-only by convention, like ``small_world``.
    """
    import subprocess
    import sys

    revloop = str(Path(sys.executable).with_name("revloop"))
    root = tmp_path_factory.mktemp("nightly_world")
    env = nightly_env(root)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [revloop, *args], env=env, cwd=root, capture_output=True, text=True, timeout=1500
        )

    generated = run("generate", "--scale", "small", "--end-date", NIGHTLY_END_DATE)
    first = run("run", "--as-of", NIGHTLY_AS_OF) if generated.returncode == 0 else generated
    return {"root": root, "env": env, "generate": generated, "first": first}
