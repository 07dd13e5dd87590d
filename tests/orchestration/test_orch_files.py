"""``revloop files`` and ``revloop load`` at the command line, and the MARKETO_* edge.

The commands read REVLOOP_EXTRACTS / REVLOOP_WAREHOUSE, so each test sets them to its own
folders (tests/conftest.py has removed whatever the caller had).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.cli import EXIT_FAILED, EXIT_OK, EXIT_UNAVAILABLE, main
from orchestration.settings import Settings

HEADER = "id,email,createdAt,updatedAt\n"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    extracts, warehouse = tmp_path / "extracts", tmp_path / "wh" / "revloop.duckdb"
    monkeypatch.setenv("REVLOOP_EXTRACTS", str(extracts))
    monkeypatch.setenv("REVLOOP_WAREHOUSE", str(warehouse))
    bad = extracts / "marketo" / "leads" / "2026-10-30.csv"
    bad.parent.mkdir(parents=True)
    bad.write_text(HEADER + "1,a@b.jp,2026-10-01T00:00:00Z,2026-10-01T00:00:00Z\n")
    return {"extracts": extracts, "warehouse": warehouse, "bad": bad}


def test_a_failed_load_exits_non_zero_until_the_file_is_set_aside(
    env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["load"]) == EXIT_FAILED
    assert "missing required column(s)" in capsys.readouterr().out
    assert main(["files"]) == EXIT_OK
    listing = capsys.readouterr().out
    assert "needs attention" in listing and "FAILED" in listing
    assert "marketo/leads/2026-10-30.csv" in listing

    assert main(["files", "--ignore", "marketo/leads/2026-10-30.csv"]) == EXIT_FAILED
    assert "--reason" in capsys.readouterr().err  # a reason is required, it is recorded
    assert (
        main(["files", "--ignore", "marketo/leads/2026-10-30.csv", "--reason", "ticket 7"])
        == EXIT_OK
    )
    assert "revloop files --restore" in capsys.readouterr().out
    assert main(["load"]) == EXIT_OK  # the night can go on
    assert "ignored: marketo/leads/2026-10-30.csv" in capsys.readouterr().out
    assert main(["files", "--all"]) == EXIT_OK
    assert "IGNORED" in capsys.readouterr().out

    assert main(["files", "--restore", "marketo/leads/2026-10-30.csv"]) == EXIT_OK
    capsys.readouterr()
    assert main(["load"]) == EXIT_FAILED  # back, and still broken


def test_ignoring_an_unknown_path_is_an_error(
    env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["files", "--ignore", "marketo/leads/nope.csv", "--reason", "x"]) == EXIT_FAILED
    assert "no such delivery" in capsys.readouterr().err


def test_extract_marketo_needs_its_variables(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract-marketo"]) == EXIT_UNAVAILABLE
    err = capsys.readouterr().err
    assert "MARKETO_BASE_URL" in err and "MARKETO_CLIENT_SECRET" in err


def test_marketo_settings_come_from_the_environment_and_stay_out_of_repr() -> None:
    s = Settings.from_env(
        {
            "MARKETO_BASE_URL": "https://123-ABC-456.mktorest.com",
            "MARKETO_CLIENT_ID": "client-id-value",
            "MARKETO_CLIENT_SECRET": "client-secret-value",
        }
    )
    assert s.marketo_base_url == "https://123-ABC-456.mktorest.com"
    assert (s.marketo_client_id, s.marketo_client_secret) == (
        "client-id-value",
        "client-secret-value",
    )
    assert "client-secret-value" not in repr(s) and "client-id-value" not in repr(s)
