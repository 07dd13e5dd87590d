"""CLI argument parsing, configuration defaults and the commands that need no other folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.cli import EXIT_UNAVAILABLE, build_parser, crm_endpoints, main
from orchestration.settings import Settings


def test_generate_defaults_and_options() -> None:
    args = build_parser().parse_args(["generate"])
    assert (args.command, args.scale, args.seed, args.out) == ("generate", "small", 42, None)
    args = build_parser().parse_args(["generate", "--scale", "large", "--seed", "7", "--out", "x"])
    assert (args.scale, args.seed, args.out) == ("large", 7, Path("x"))


def test_bad_scale_is_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["generate", "--scale", "huge"])
    assert exc.value.code == 2
    assert "unknown scale 'huge'" in capsys.readouterr().err


def test_sync_sandbox_dashboard_options() -> None:
    p = build_parser()
    args = p.parse_args(["sync", "--dry-run", "--sync", "a", "--sync", "b"])
    assert (args.dry_run, args.syncs) == (True, ["a", "b"])
    assert p.parse_args(["sync"]).syncs is None
    assert p.parse_args(["sandbox"]).port == 8765
    assert p.parse_args(["sandbox", "--port", "9000"]).port == 9000
    assert p.parse_args(["extract-salesforce", "--objects", "Lead", "Contact"]).objects == [
        "Lead",
        "Contact",
    ]


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2


def test_dashboard_never_serves_the_working_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`revloop dashboard` now exists (issue 23) and replaces the process with Streamlit, so
    only its refusal is tested here: pointed at the warehouse itself it exits non-zero."""
    warehouse = tmp_path / "revloop.duckdb"
    monkeypatch.setenv("REVLOOP_WAREHOUSE", str(warehouse))
    assert main(["dashboard", "--snapshot", str(warehouse)]) != 0
    assert "working warehouse" in capsys.readouterr().err


def test_extract_salesforce_needs_credentials(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SALESFORCE_INSTANCE_URL", raising=False)
    monkeypatch.delenv("SALESFORCE_ACCESS_TOKEN", raising=False)
    assert main(["extract-salesforce"]) == EXIT_UNAVAILABLE
    assert "SALESFORCE_INSTANCE_URL" in capsys.readouterr().err


def test_settings_defaults_follow_the_architecture() -> None:
    s = Settings.from_env({})
    assert s.extracts == Path("data/extracts")
    assert s.warehouse == Path("warehouse/revloop.duckdb")
    assert s.sandbox_db == Path("warehouse/sandbox.sqlite")
    assert s.truth_dir == Path("data/truth")
    assert s.sandbox_token == "revloop-sandbox-token"
    assert s.salesforce_api_version == "62.0"
    assert s.uses_sandbox


def test_settings_from_env_and_secrets_stay_out_of_repr() -> None:
    s = Settings.from_env(
        {
            "REVLOOP_WAREHOUSE": "/w/x.duckdb",
            "SALESFORCE_INSTANCE_URL": "https://acme.my.salesforce.com",
            "SALESFORCE_ACCESS_TOKEN": "00Dsecret!",
            "HUBSPOT_ACCESS_TOKEN": "pat-na1-secret",
        }
    )
    assert s.sandbox_db == Path("/w/sandbox.sqlite")
    assert not s.uses_sandbox
    text = repr(s)
    assert "acme.my.salesforce.com" in text
    assert "secret" not in text and "revloop-sandbox-token" not in text


def test_configured_crm_does_not_start_the_sandbox() -> None:
    s = Settings.from_env({"HUBSPOT_BASE_URL": "http://127.0.0.1:1", "HUBSPOT_ACCESS_TOKEN": "t"})
    with crm_endpoints(s) as description:
        assert description == "configured CRM: http://127.0.0.1:1"


def test_manifest_staleness_follows_project_files(tmp_path: Path) -> None:
    import os

    from orchestration.dbt_project import manifest_is_stale

    (tmp_path / "models").mkdir()
    (tmp_path / "dbt_project.yml").write_text("name: x\n")
    model = tmp_path / "models" / "m.sql"
    model.write_text("select 1\n")
    assert manifest_is_stale(tmp_path)  # no manifest yet
    manifest = tmp_path / "target" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text("{}")
    os.utime(model, (1_000_000, 1_000_000))
    os.utime(tmp_path / "dbt_project.yml", (1_000_000, 1_000_000))
    assert not manifest_is_stale(tmp_path)
    model.write_text("select 2\n")  # edited after the parse
    os.utime(model, (manifest.stat().st_mtime + 10,) * 2)
    assert manifest_is_stale(tmp_path)
