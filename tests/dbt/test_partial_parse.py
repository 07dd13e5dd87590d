"""A nightly build keeps dbt's partial parse although its as-of changes every night.

``revloop run`` hands the as-of to dbt as ``REVLOOP_AS_OF`` (macros/time/as_of.sql), not as
``--vars``: dbt throws its whole partial parse away when the CLI vars change ("Unable to do
partial parsing because config vars ... have changed"), but for a changed env var it
re-parses only the files that read it. dagster-dbt gives every build its own target folder
and seeds it from ``dbt_project/target``; ``keep_partial_parse`` puts each build's parse back
there for the next night.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.defs.dbt.assets import PARTIAL_PARSE, keep_partial_parse
from tests.dbt.dbt_cli import run_dbt

NIGHT_1, NIGHT_2 = "2026-10-31T23:59:59Z", "2026-11-01T23:59:59Z"


def _parse(tmp: Path, warehouse: Path) -> str:
    proc = run_dbt(["--debug", "parse"], warehouse, tmp, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_a_new_as_of_reparses_only_the_files_that_read_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "revloop.duckdb"
    monkeypatch.setenv("REVLOOP_AS_OF", NIGHT_1)
    _parse(tmp_path, warehouse)
    assert (tmp_path / "target" / PARTIAL_PARSE).exists()
    monkeypatch.setenv("REVLOOP_AS_OF", NIGHT_2)
    out = _parse(tmp_path, warehouse)
    assert "Unable to do partial parsing" not in out, out[-3000:]
    assert "Partial parsing enabled" in out, out[-3000:]
    # the models that read the as-of are re-parsed (their compiled SQL changes), not all
    reparsed = out.count("Partial parsing: updated file:")
    models = sum(1 for _ in (Path(__file__).parents[2] / "dbt_project" / "models").rglob("*.sql"))
    assert 0 < reparsed < models / 2, (reparsed, models)


def test_keep_partial_parse_replaces_the_projects_copy(tmp_path: Path) -> None:
    run_target, project_target = tmp_path / "run", tmp_path / "project" / "target"
    keep_partial_parse(run_target, project_target)  # nothing parsed: nothing to keep
    assert not project_target.exists() or not any(project_target.iterdir())
    run_target.mkdir()
    (run_target / PARTIAL_PARSE).write_bytes(b"night 2")
    project_target.mkdir(parents=True)
    (project_target / PARTIAL_PARSE).write_bytes(b"night 1")
    keep_partial_parse(run_target, project_target)
    assert (project_target / PARTIAL_PARSE).read_bytes() == b"night 2"
    assert sorted(p.name for p in project_target.iterdir()) == [PARTIAL_PARSE]  # no temp left
