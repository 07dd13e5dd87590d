"""One real build of the small sample, shared by the dbt modules that read its marts.

``small_build`` loads the session's small sample (tests/conftest.py ``small_world``) into a
throw-away warehouse and runs ONE ``dbt build`` (seeds, every model, every data test; unit
tests have their own module) pinned to the world's last night. The attribution, marts and
identity-quality modules read it read-only; a test that must write (a later as-of, say)
copies the file first. One build instead of three subgraph builds of the same upstream keeps
the suite inside its CI budget.
"""

from __future__ import annotations

import pytest

from connectors.load import load_all
from tests.dbt.dbt_cli import run_dbt

# The sample's world ends on REFERENCE_END_DATE; the build is pinned to that night.
AS_OF = "2026-10-31 23:59:59"


def _failures(stdout: str) -> str:
    """The lines of a dbt log that say what failed (and the summary), for the assertion."""
    keep = [
        line
        for line in stdout.splitlines()
        if any(word in line for word in ("FAIL", "ERROR", "Error", "Done. PASS", "Compilation"))
    ]
    return "\n".join(keep[-60:]) or stdout[-6000:]


@pytest.fixture(scope="session")
def small_build(tmp_path_factory: pytest.TempPathFactory, small_world: dict) -> dict:
    """``{"db": Path, "target": Path, "stdout": str}`` after one full ``dbt build`` of the
    small sample (``--exclude-resource-type unit_test``), which must pass."""
    tmp = tmp_path_factory.mktemp("small_build")
    db = tmp / "warehouse.duckdb"
    load_all(db, small_world["extracts"])
    result = run_dbt(["build", "--exclude-resource-type", "unit_test"], db, tmp, {"as_of": AS_OF})
    assert result.returncode == 0, _failures(result.stdout)
    return {"db": db, "target": tmp / "target", "stdout": result.stdout}
