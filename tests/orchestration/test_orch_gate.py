"""The quality gate in Dagster: a broken day stops the release and the sync with a message
naming the check and its owner, and tells a webhook; a normal day publishes and syncs.

The checks, the release/publish assets, the alerts and the sensors are the real builders
the code location uses. Only the loader and the marts are stand-ins: the tiny warehouse is
written by the fixture (tests/expectations/world.py), the stand-ins mark it materialised
(the loader stand-in reports the load batch, as connectors.load does).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.cli.summary import summarize_run
from orchestration.defs.publish.assets import SNAPSHOT_KEY, build_publish_assets
from orchestration.defs.publish.snapshot import read_build
from orchestration.defs.quality.freshness import build_freshness_check, build_freshness_job
from orchestration.defs.quality.gx_check import build_gx_check
from orchestration.defs.quality.monitor_checks import build_monitor_check
from orchestration.defs.quality.owners import raw_owners
from orchestration.defs.quality.resources import QualityGate
from orchestration.defs.reverse_etl.sync_asset import SYNC_TAG, sync_asset_key
from orchestration.resources import RevloopPaths
from tests.expectations import world

GA4 = dg.AssetKey(["raw", "ga4__events"])
OPP = dg.AssetKey(["raw", "salesforce__opportunity"])
ATTRIBUTION = dg.AssetKey(["marts", "fct_attribution"])
SYNC = sync_asset_key("salesforce_lead")


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def webhook() -> Iterator[tuple[str, list[dict]]]:
    """A Slack-style incoming webhook on 127.0.0.1 that records what it receives."""
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks/T000/B000/secret", _Hook.received
    finally:
        server.shutdown()


@dg.multi_asset(specs=[dg.AssetSpec(GA4), dg.AssetSpec(OPP)], name="load_standin")
def load_standin():
    """The fixture wrote raw.*; report the load batch like the real loader asset."""
    for key in (GA4, OPP):
        yield dg.MaterializeResult(asset_key=key, metadata={"batch_id": world.NEW_BATCH})


@dg.asset(key=ATTRIBUTION, deps=[GA4, OPP], group_name="marts")
def attribution_standin() -> None:
    """The mart is in the fixture warehouse; this marks it built."""


def _defs(
    tmp_path: Path, wh: Path, hook: str, as_of: dt.datetime, ran: list[str]
) -> dg.Definitions:
    from expectations.monitors import load_monitors

    monitors = load_monitors()
    ga4_monitors = [
        m for m in monitors if m.table == "raw.ga4__events" and m.name == "daily_events"
    ]
    opp_monitors = [
        m
        for m in monitors
        if m.table == "raw.salesforce__opportunity" and m.name == "opportunity_amount_missing"
    ]

    @dg.asset(key=SYNC, deps=[SNAPSHOT_KEY], tags=SYNC_TAG)
    def sync_recorder() -> dg.MaterializeResult:
        ran.append("sync")
        return dg.MaterializeResult(metadata={"planned": 1, "sent": 1, "failed": 0, "unchanged": 0})

    return dg.Definitions(
        assets=[
            load_standin,
            attribution_standin,
            *build_publish_assets([ATTRIBUTION]),
            sync_recorder,
        ],
        asset_checks=[
            build_gx_check("raw.ga4__events", GA4, raw_owners("ga4__events")),
            build_monitor_check("raw.ga4__events", GA4, ga4_monitors, raw_owners("ga4__events")),
            build_monitor_check(
                "raw.salesforce__opportunity",
                OPP,
                opp_monitors,
                raw_owners("salesforce__opportunity"),
            ),
            build_freshness_check("ga4", {"ga4__events": GA4}, raw_owners("ga4__events")),
            build_gx_check(
                "marts.fct_attribution",
                ATTRIBUTION,
                ["revops-analytics@revloop.example", "data-platform@revloop.example"],
            ),
        ],
        resources={
            "paths": RevloopPaths(
                extracts=str(tmp_path / "extracts"), warehouse=str(wh), syncs_dir=str(tmp_path)
            ),
            "quality_gate": QualityGate(
                as_of=as_of.isoformat(),
                gx_dir=str(tmp_path / "gx"),
                snapshot=str(tmp_path / "published.duckdb"),
                alert_webhook_url=hook,
            ),
        },
    )


def _run(defs: dg.Definitions) -> dg.ExecuteInProcessResult:
    job = dg.define_asset_job("gate", selection=dg.AssetSelection.all())
    defs = dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))
    return defs.resolve_job_def("gate").execute_in_process(raise_on_error=False)


def _world(
    wh: Path, *, ga4_newest: int = 100, amount_null: bool = False, broken: bool = False
) -> None:
    with world.connect(wh) as con:
        world.ga4_days(
            con,
            newest=ga4_newest,
            newest_names=["page_view", "form_start", "scroll", "view_search_results"],
        )
        world.opportunity_days(con, redeliver_newest=True, newest_amount_null=amount_null)
        world.attribution_mart(con, broken=broken)


def test_a_normal_day_publishes_then_a_broken_sum_keeps_the_last_good_snapshot(
    tmp_path: Path, webhook: tuple[str, list[dict]]
) -> None:
    """Day 1: GA4's own new event names and an overlapping Salesforce re-extract pass; the
    snapshot is published and the sync runs. Day 2: c1's credits sum to 1.1: the check
    names itself and its owner, publishing and the sync do not run, the snapshot stays."""
    url, received = webhook
    wh = tmp_path / "wh.duckdb"
    _world(wh)
    ran: list[str] = []
    defs = _defs(tmp_path, wh, url, world.AS_OF, ran)
    result = _run(defs)
    assert result.success, [e.description for e in result.get_asset_check_evaluations()]
    assert ran == ["sync"]
    ok, lines = summarize_run(result, defs)
    text = "\n".join(lines)
    assert ok, text
    assert f"published snapshot: {tmp_path / 'published.duckdb'}" in text
    assert (
        "Data Docs: file://" in text
        and Path(text.split("Data Docs: file://")[1].split()[0]).exists()
    )
    first = read_build(tmp_path / "published.duckdb")
    assert first["build_id"] == result.run_id
    with duckdb.connect(str(tmp_path / "published.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.fct_attribution").fetchone() == (5,)
        checks = con.execute(
            "SELECT check_name, passed, owner FROM _release.checks ORDER BY 1, 3"
        ).fetchall()
    assert ("gx_marts__fct_attribution", True, "revops-analytics@revloop.example") in checks
    assert ("freshness", True, "web-analytics@revloop.example") in checks

    with world.connect(wh) as con:
        world.attribution_mart(con, broken=True)
    before = len(received)
    ran.clear()
    result = _run(defs)
    assert ran == []
    (failed,) = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed.asset_check_key.name == "gx_marts__fct_attribution"
    assert "do not sum to 1" in failed.description
    assert "owner revops-analytics@revloop.example" in failed.description
    assert read_build(tmp_path / "published.duckdb")["build_id"] == first["build_id"]
    ok, lines = summarize_run(result, defs)
    assert not ok and "NOT updated (the last good snapshot stays in place)" in "\n".join(lines)
    alerts = received[before:]
    assert any("gx_marts__fct_attribution" in a["text"] for a in alerts)
    alert = next(a for a in alerts if "gx_marts__fct_attribution" in a["text"])
    assert "asset: marts/fct_attribution" in alert["text"]
    assert (
        "owner: revops-analytics@revloop.example  backup: data-platform@revloop.example"
        in alert["text"]
    )
    assert alert["blocks"][0]["type"] == "header"


@pytest.mark.parametrize(
    ("scenario", "check", "owner", "phrase"),
    [
        ("zero_volume", "monitors", "web-analytics@revloop.example", "dropped to zero"),
        ("null_spike", "monitors", "revops-crm@revloop.example", "Amount missing in 100.0%"),
        ("stale", "freshness", "web-analytics@revloop.example", "last load 2026-11-01 01:30 UTC"),
    ],
)
def test_a_broken_day_blocks_the_sync_naming_check_and_owner(
    tmp_path: Path,
    webhook: tuple[str, list[dict]],
    scenario: str,
    check: str,
    owner: str,
    phrase: str,
) -> None:
    url, received = webhook
    wh = tmp_path / "wh.duckdb"
    _world(
        wh, ga4_newest=0 if scenario == "zero_volume" else 100, amount_null=scenario == "null_spike"
    )
    as_of = world.AS_OF + (dt.timedelta(days=3) if scenario == "stale" else dt.timedelta())
    ran: list[str] = []
    before = len(received)
    defs = _defs(tmp_path, wh, url, as_of, ran)
    result = _run(defs)
    assert ran == [] and not (tmp_path / "published.duckdb").exists()
    failing = [
        e
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    mine = [e for e in failing if e.asset_check_key.name == check and phrase in e.description]
    assert mine, [e.description for e in failing]
    assert f"check {check} on" in mine[0].description and f"owner {owner}" in mine[0].description
    ok, lines = summarize_run(result, defs)
    text = "\n".join(lines)
    assert not ok and f":{check}: " in text
    alerts = [a["text"] for a in received[before:]]
    assert any(f"check: {check}" in a and f"owner: {owner}" in a and phrase in a for a in alerts), (
        alerts
    )


def test_freshness_job_schedule_and_sensors_evaluate(
    tmp_path: Path, webhook: tuple[str, list[dict]], dbt_manifest: Path
) -> None:
    """The shipped schedule and sensors evaluate; the freshness-only job runs its checks; the
    run-failure sensor sends the failed run to the webhook with owner and backup."""
    from orchestration.definitions import defs as shipped
    from orchestration.defs.quality.sensors import alert_on_run_failure

    url, received = webhook
    schedule = shipped.resolve_schedule_def("nightly_0200_tokyo")
    tick = schedule.evaluate_tick(
        dg.build_schedule_context(
            scheduled_execution_time=dt.datetime(
                2026, 11, 1, 2, 0, tzinfo=dt.timezone(dt.timedelta(hours=9))
            )
        )
    )
    assert len(tick.run_requests) == 1 and tick.run_requests[0].job_name in (None, "nightly")

    sensor = shipped.resolve_sensor_def("freshness_sensor")
    first = sensor.evaluate_tick(dg.build_sensor_context())
    assert len(first.run_requests) == 1 and first.run_requests[0].run_key.startswith("freshness-")
    again = sensor.evaluate_tick(dg.build_sensor_context(cursor=first.cursor))
    assert again.run_requests == [] and "already evaluated" in again.skip_message
    assert shipped.resolve_job_def("freshness").asset_layer is not None

    # the freshness-only job on a stale GA4 feed
    wh = tmp_path / "wh.duckdb"
    with world.connect(wh) as con:
        world.ga4_days(con)
    checks = [build_freshness_check("ga4", {"ga4__events": GA4}, raw_owners("ga4__events"))]
    stale_at = world.LOADED_AT + dt.timedelta(hours=60)
    defs = dg.Definitions(
        assets=[dg.AssetSpec(GA4)],
        asset_checks=checks,
        jobs=[build_freshness_job(checks)],
        resources={
            "paths": RevloopPaths(
                extracts=str(tmp_path), warehouse=str(wh), syncs_dir=str(tmp_path)
            ),
            "quality_gate": QualityGate(as_of=stale_at.isoformat(), alert_webhook_url=url),
        },
    )
    instance = dg.DagsterInstance.ephemeral()
    result = defs.resolve_job_def("freshness").execute_in_process(
        instance=instance, raise_on_error=False
    )
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed and "60.0 h before the run" in evaluation.description

    # a failed run seen by the run-failure sensor
    @dg.op
    def explode() -> None:
        raise RuntimeError("loader could not read ga4/events_20261031.jsonl")

    @dg.job
    def broken() -> None:
        explode()

    failed = broken.execute_in_process(instance=instance, raise_on_error=False)
    failure = next(e for e in failed.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    before = len(received)
    context = dg.build_run_status_sensor_context(
        sensor_name="alert_on_run_failure",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=failed.dagster_run,
        resources={"quality_gate": QualityGate(alert_webhook_url=url)},
    ).for_run_failure()
    alert_on_run_failure(context)
    # `revloop run` executes in-process, where no sensor runs: it sends the same alert itself
    from orchestration.defs.quality.sensors import alert_for_result

    line = alert_for_result(failed, dg.Definitions(jobs=[broken]), url)
    assert line == (
        "  alert sent (run log + webhook): owner data-platform@revloop.example, "
        "backup revops-analytics@revloop.example"
    )
    alert, cli_alert = received[before:]
    assert cli_alert["text"] == alert["text"]
    assert "run of job broken failed" in alert["text"]
    assert (
        "failed step explode: RuntimeError: loader could not read ga4/events_20261031.jsonl"
        in alert["text"]
    )
    assert (
        "owner: data-platform@revloop.example  backup: revops-analytics@revloop.example"
        in alert["text"]
    )


def test_parked_sync_rejects_warn_and_alert(
    tmp_path: Path, webhook: tuple[str, list[dict]]
) -> None:
    """Two records the CRM refused (REQUIRED_FIELD_MISSING) wait in the dead letter: the sync
    succeeded, the check warns (does not block) and the webhook hears of it with the owner."""
    from orchestration.defs.quality.owners import sync_owners
    from orchestration.defs.quality.sync_checks import build_rejects_check

    url, received = webhook
    wh = tmp_path / "wh.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute("CREATE SCHEMA reverse_etl")
        con.execute(
            "CREATE TABLE reverse_etl._sync_dead_letter AS SELECT * FROM (VALUES "
            "('salesforce_lead', '00Q1', 'REQUIRED_FIELD_MISSING', 'missing: [Company]'),"
            "('salesforce_lead', '00Q2', 'REQUIRED_FIELD_MISSING', 'missing: [Company]'),"
            "('hubspot_contact', 'a@x.jp', 'INVALID_EMAIL', 'bad')"
            ") t(sync_name, record_key, error_code, error_message)"
        )

    @dg.asset(key=SYNC, tags=SYNC_TAG)
    def partial_sync() -> None:
        """A sync that finished 'partial'."""

    defs = dg.Definitions(
        assets=[partial_sync],
        asset_checks=[build_rejects_check("salesforce_lead", SYNC, sync_owners("salesforce"))],
        resources={
            "paths": RevloopPaths(
                extracts=str(tmp_path), warehouse=str(wh), syncs_dir=str(tmp_path)
            ),
            "quality_gate": QualityGate(alert_webhook_url=url),
        },
    )
    before = len(received)
    result = _run(defs)
    assert result.success
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert "2 record(s) refused by the CRM" in evaluation.description
    assert "REQUIRED_FIELD_MISSING x2" in evaluation.description
    (alert,) = received[before:]
    assert (
        "check: parked_rejects" in alert["text"]
        and "asset: reverse_etl/salesforce_lead" in alert["text"]
    )
    assert "owner: revops-crm@revloop.example  backup: sales-ops@revloop.example" in alert["text"]
