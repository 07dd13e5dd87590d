"""The run's clock (as-of parsing, the generator's default end date), where runs are recorded,
and what the console shows while a run works."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import dagster as dg
import pytest

from connectors.generate import yesterday_utc
from orchestration.cli import build_parser, main
from orchestration.cli.progress import RunProgress, dagster_progress_logger
from orchestration.cli.run import dagster_home_for
from orchestration.clock import as_of_text, parse_as_of
from orchestration.settings import Settings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-31T23:59:59Z", "2026-10-31 23:59:59"),
        ("2026-10-31 23:59:59", "2026-10-31 23:59:59"),  # no zone: UTC
        ("2026-11-01T08:59:59+09:00", "2026-10-31 23:59:59"),  # JST midnight-1s = UTC 23:59:59
        ("2026-10-31", "2026-10-31 23:59:59"),  # a date: the end of that day
        ("2026-10-31T12:00:00.750Z", "2026-10-31 12:00:00"),
    ],
)
def test_as_of_forms(text: str, expected: str) -> None:
    assert as_of_text(parse_as_of(text)) == expected


def test_a_bad_as_of_is_refused_by_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["run", "--as-of", "last tuesday"])
    assert exc.value.code == 2
    assert "not an as-of timestamp: 'last tuesday'" in capsys.readouterr().err
    assert build_parser().parse_args(["run"]).as_of is None


def test_full_refresh_is_one_flag_on_the_cli_and_one_field_or_tag_on_the_dbt_asset() -> None:
    from types import SimpleNamespace

    from orchestration.defs.dbt.assets import FULL_REFRESH_TAG, DbtBuildConfig, wants_full_refresh

    assert build_parser().parse_args(["run", "--full-refresh"]).full_refresh is True
    assert build_parser().parse_args(["run"]).full_refresh is False

    def context(tags: dict[str, str]) -> SimpleNamespace:
        return SimpleNamespace(run=SimpleNamespace(tags=tags))

    assert wants_full_refresh(context({}), DbtBuildConfig(full_refresh=True))
    assert wants_full_refresh(context({FULL_REFRESH_TAG: "true"}), DbtBuildConfig())
    assert not wants_full_refresh(context({FULL_REFRESH_TAG: "false"}), DbtBuildConfig())
    assert not wants_full_refresh(context({}), DbtBuildConfig())


def test_the_generated_world_ends_yesterday_utc_by_default() -> None:
    # 00:30 in Tokyo on Dec 2 is still Dec 1 in UTC: yesterday is Nov 30
    tokyo = dt.timezone(dt.timedelta(hours=9))
    assert yesterday_utc(dt.datetime(2026, 12, 2, 0, 30, tzinfo=tokyo)) == dt.date(2026, 11, 30)
    assert yesterday_utc(dt.datetime(2026, 12, 2, 23, 59, tzinfo=dt.UTC)) == dt.date(2026, 12, 1)
    args = build_parser().parse_args(["generate", "--end-date", "2026-10-31"])
    assert args.end_date == dt.date(2026, 10, 31)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["generate", "--end-date", "31/10/2026"])


def test_runs_are_recorded_beside_the_warehouse_unless_dagster_home_is_set(tmp_path: Path) -> None:
    s = Settings.from_env({"REVLOOP_WAREHOUSE": str(tmp_path / "wh" / "revloop.duckdb")})
    home = dagster_home_for(s, {})
    assert home == (tmp_path / "wh" / "dagster_home").resolve()
    assert "telemetry" in (home / "dagster.yaml").read_text()  # the shipped instance config
    chosen = tmp_path / "elsewhere"
    assert dagster_home_for(s, {"DAGSTER_HOME": str(chosen)}) == chosen.resolve()


def test_query_reads_the_warehouse_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import duckdb

    wh = tmp_path / "wh.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute("create table t as select 42 as answer")
    monkeypatch.setenv("REVLOOP_WAREHOUSE", str(wh))
    assert main(["query", "select answer * 2 as doubled from t"]) == 0
    assert "84" in capsys.readouterr().out
    assert main(["query", "insert into t values (1)"]) == 1  # read-only: refused, one line
    assert "read-only" in capsys.readouterr().err.lower()


def _tiny_run(stream: io.StringIO) -> tuple[RunProgress, dg.ExecuteInProcessResult]:
    """load_web (one table) -> a check -> a sync-tagged asset, through the progress logger."""

    @dg.asset(key=["raw", "web__events"])
    def load_web() -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata={"rows_loaded": 1200, "rows_quarantined": 3})

    @dg.asset_check(asset=load_web, name="gx_raw__web__events")
    def gx_raw__web__events() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True)

    @dg.asset(key=["reverse_etl", "crm_people"], deps=[load_web])
    def crm_people() -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata={"planned": 5, "sent": 4, "failed": 1})

    def classify(step_key: str) -> tuple[str, str]:
        if step_key == "raw__web__events":
            return "load", "web"
        if step_key == "reverse_etl__crm_people":
            return "sync", "crm_people"
        return "checks", step_key

    progress = RunProgress(stream, classify, interactive=False)
    defs = dg.Definitions(assets=[load_web, crm_people], asset_checks=[gx_raw__web__events])
    job = defs.resolve_implicit_global_asset_job_def().with_logger_defs(
        {"console": dagster_progress_logger(progress)}
    )
    result = job.execute_in_process(run_config={"loggers": {"console": {}}})
    progress.close()
    return progress, result


def test_off_a_terminal_each_step_is_announced_with_its_time() -> None:
    stream = io.StringIO()
    progress, result = _tiny_run(stream)
    assert result.success
    lines = [line.split("] ", 1)[1] for line in stream.getvalue().splitlines()]
    assert lines[0] == "start load web"
    assert lines[1].startswith("done  load web  ") and lines[1].endswith(
        "+1,200 rows, 3 quarantined"
    )
    assert "start checks" in lines and any(x.startswith("done  checks") for x in lines)
    assert lines[-1].endswith("planned 5 · sent 4 · refused 1")
    assert all(line[:1] == "[" for line in stream.getvalue().splitlines())  # timestamped
    assert set(progress.stage_seconds()) == {"load", "checks", "sync"}


def test_on_a_terminal_the_same_run_draws_bars_without_failing() -> None:
    stream = io.StringIO()
    stream.isatty = lambda: True  # type: ignore[method-assign]
    progress = RunProgress(stream, lambda key: ("load", key))
    assert progress.interactive
    with progress.live():
        progress._line("done  load x  1.0 s")
    assert "done  load x" in stream.getvalue()
