"""Every dbt unit test of the project, and the normalisation macros, without the generator.

A throw-away warehouse gets empty raw tables typed by the loader contracts (dbt unit tests
read input column types from the warehouse), `dbt seed` + `dbt run --empty` create every
relation, then `dbt test --resource-type unit_test` runs ALL unit tests. The test checks
that each unit test the manifest declares really ran and passed, so a new unit test can
never be left out by a selector. The hand-worked expectations live in the YAML next to the
models (`_*__unit_tests.yml`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "dbt_project"
CONTRACTS = REPO / "connectors" / "contracts"
DBT = Path(sys.executable).with_name("dbt")
LOADER_COLUMNS = [
    "_source_file VARCHAR",
    "_row_number BIGINT",
    "_loaded_at TIMESTAMPTZ",
    "_batch_id VARCHAR",
    "_superseded_at TIMESTAMPTZ",
]


def _empty_raw_warehouse(path: Path) -> None:
    """Create every raw.<source>__<entity> table of the contracts, empty."""
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists raw")
        for contract_file in sorted(CONTRACTS.glob("*/*.yml")):
            contract = yaml.safe_load(contract_file.read_text())
            columns = [f'"{name}" {spec["type"]}' for name, spec in contract["columns"].items()]
            con.execute(f"create table {contract['table']} ({', '.join(columns + LOADER_COLUMNS)})")
    finally:
        con.close()


def _dbt(args: list[str], warehouse: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, REVLOOP_WAREHOUSE=str(warehouse), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    cmd = [
        str(DBT),
        *args,
        "--project-dir",
        str(PROJECT),
        "--profiles-dir",
        str(PROJECT),
        "--target-path",
        str(tmp / "target"),
        "--log-path",
        str(tmp / "logs"),
    ]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("identity_rules")
    db = tmp / "warehouse.duckdb"
    _empty_raw_warehouse(db)
    seeded = _dbt(["seed"], db, tmp)
    assert seeded.returncode == 0, seeded.stdout[-4000:]
    # unit tests read the column types of their inputs from the warehouse: build every
    # model once, empty
    built = _dbt(["run", "--empty"], db, tmp)
    assert built.returncode == 0, built.stdout[-4000:]
    return db, tmp


def test_every_dbt_unit_test_runs_and_passes(warehouse: tuple[Path, Path]) -> None:
    db, tmp = warehouse
    result = _dbt(["test", "--resource-type", "unit_test"], db, tmp)
    assert result.returncode == 0, result.stdout[-6000:]
    manifest = json.loads((tmp / "target" / "manifest.json").read_text())
    declared = {
        uid for uid, node in manifest["unit_tests"].items() if node["package_name"] == "revloop"
    }
    run = json.loads((tmp / "target" / "run_results.json").read_text())["results"]
    passed = {r["unique_id"] for r in run if r["status"] == "pass"}
    assert len(declared) >= 11
    assert declared == passed, sorted(declared ^ passed)


def test_normalisation_macros_equate_the_documented_spellings(
    warehouse: tuple[Path, Path],
) -> None:
    """The spellings domain.md promises to equate, through the real macros and seeds."""
    db, tmp = warehouse
    sql = """
        select
            {{ normalize_phone("'03-1234-5678'") }} as p1,
            {{ normalize_phone("'0312345678'") }} as p2,
            {{ normalize_phone("'+81 3 1234 5678'") }} as p3,
            {{ normalize_phone("'０３－１２３４－５６７８'") }} as p4,
            {{ normalize_company_name("'株式会社サンプル'") }} as c1,
            {{ normalize_company_name("'(株)サンプル'") }} as c2,
            {{ normalize_company_name("'（株）サンプル'") }} as c3,
            {{ normalize_company_name("'㈱サンプル'") }} as c4,
            {{ normalize_company_name("'サンプル株式会社'") }} as c5,
            {{ normalize_company_name("'Acme Analytics Co., Ltd.'") }} as e1,
            {{ normalize_company_name("'ＡＣＭＥ ＡＮＡＬＹＴＩＣＳ ＩＮＣ．'") }} as e2,
            {{ normalize_company_name("'Incredible Systems'") }} as e3,
            {{ normalize_email("' Taro.Yamada@Example.CO.JP '") }} as m1,
            {{ domain_from_url("'https://www.Example.co.jp/about?x=1'") }} as d1,
            {{ is_free_mail_domain("'yahoo.co.jp'") }} as f1,
            {{ is_free_mail_domain("'example.co.jp'") }} as f2,
            {{ normalize_text_nfkc("'ｻﾝﾌﾟﾙ　ＡＢＣ１２３'") }} as n1
    """
    result = _dbt(["show", "--inline", sql, "--output", "json", "--log-format", "text"], db, tmp)
    assert result.returncode == 0, result.stdout[-4000:]
    out = result.stdout
    row = json.loads(out[out.index("{", out.index('"show"') - 20) : out.rindex("}") + 1])["show"][0]
    assert row == {
        "p1": "0312345678",
        "p2": "0312345678",
        "p3": "0312345678",
        "p4": "0312345678",
        "c1": "サンプル",
        "c2": "サンプル",
        "c3": "サンプル",
        "c4": "サンプル",
        "c5": "サンプル",
        "e1": "acmeanalytics",
        "e2": "acmeanalytics",
        "e3": "incrediblesystems",
        "m1": "taro.yamada@example.co.jp",
        "d1": "example.co.jp",
        "f1": True,
        "f2": False,
        "n1": "サンプル ABC123",
    }
