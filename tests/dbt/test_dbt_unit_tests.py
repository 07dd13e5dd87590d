"""Every dbt unit test of the project, and the normalisation macros, without the generator.

A throw-away warehouse gets empty raw tables typed by the loader contracts (dbt unit tests
read input column types from the warehouse), `dbt seed` + `dbt run --empty` create every
relation, then `dbt test --resource-type unit_test` runs ALL unit tests. The test checks
that each unit test the manifest declares really ran and passed, so a new unit test can
never be left out by a selector. The hand-worked expectations live in the YAML next to the
models (`_*__unit_tests.yml`). The same manifest shows the DAG flows one way (issue 16,
finding 11): staging -> intermediate -> marts -> reverse_etl, intermediate never reads marts,
and every intermediate folder documents its models.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.dbt.dbt_cli import run_dbt

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "dbt_project"
CONTRACTS = REPO / "connectors" / "contracts"
LAYER_ORDER = {"staging": 0, "intermediate": 1, "marts": 2, "reverse_etl": 3}
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
    return run_dbt(args, warehouse, tmp, timeout=600)


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
    assert len(declared) >= 21
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
            {{ normalize_text_nfkc("'ｻﾝﾌﾟﾙ　ＡＢＣ１２３'") }} as n1,
            {{ normalize_company_name("'㍿サンプル'") }} as c6,
            {{ normalize_company_name("'ｶ)ｻﾝﾌﾟﾙ'") }} as c7,
            {{ normalize_company_name("'ｻﾝﾌﾟﾙ(ｶ)'") }} as c8,
            {{ normalize_company_name("'有限会社サンプル'") }} as c9,
            {{ company_legal_form_group("'㍿サンプル'") }} as g1,
            {{ company_legal_form_group("'ｶ)ｻﾝﾌﾟﾙ'") }} as g2,
            {{ company_legal_form_group("'有限会社サンプル'") }} as g3,
            {{ company_legal_form_group("'Sample LLC'") }} as g4,
            {{ company_legal_form_group("'Sample Inc.'") }} as g5,
            {{ normalize_phone("'1-415-555-0100'") }} as p5,
            {{ normalize_phone("'+1 (415) 555-0100'") }} as p6,
            {{ normalize_phone("'(415) 555-0100 ext. 12'") }} as p7,
            {{ normalize_phone("'03-1234-5678 内線123'") }} as p8,
            {{ normalize_phone("'010-81-3-1234-5678'") }} as p9,
            {{ is_free_mail_domain("'ab3.so-net.ne.jp'") }} as f3,
            {{ is_free_mail_domain("'docomo.ne.jp'") }} as f4,
            {{ is_free_mail_domain("'i.softbank.jp'") }} as f5,
            {{ is_free_mail_domain("'xyz.plala.or.jp'") }} as f6,
            {{ is_free_mail_domain("'sample.or.jp'") }} as f7,
            {{ normalize_text_nfkc("'https://ex.com/?q=a b'") }} as n2,
            {{ normalize_text_nfkc("null") }} as n3,
            {{ domain_from_url("'ｈｔｔｐｓ：／／ｗｗｗ．Ｅｘａｍｐｌｅ．ｃｏ．ｊｐ／'") }} as d2,
            {{ url_query_param("'https://ex.com/p?utm_source=google&gclid=G1#top'", 'gclid') }}
                as q1,
            {{ url_query_param("'https://ex.com/p?xutm_source=a'", 'utm_source') }} as q2,
            {{ url_query_param("'https://ex.com/p?utm_source=&a=1'", 'utm_source') }} as q3,
            {{ url_query_param("'https://ex.com/utm_source=a'", 'utm_source') }} as q4
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
        # ㍿ and the half-width bank-transfer forms are legal forms too (issue 16)
        "c6": "サンプル",
        "c7": "サンプル",
        "c8": "サンプル",
        "c9": "サンプル",
        # ... whose type tells 株式会社サンプル from 有限会社サンプル
        "g1": "kk",
        "g2": "kk",
        "g3": "yk",
        "g4": "llc",
        "g5": None,
        # the NANP trunk 1 and extensions are not part of the number
        "p5": "4155550100",
        "p6": "4155550100",
        "p7": "4155550100",
        "p8": "0312345678",
        "p9": "0312345678",
        # Internet-provider and carrier mail by suffix; an organisation's or.jp stays
        "f3": True,
        "f4": True,
        "f5": True,
        "f6": True,
        "f7": False,
        # ASCII passes through NFKC untouched (the fast path), null stays null, and a URL
        # typed in full-width still goes through the mapping
        "n2": "https://ex.com/?q=a b",
        "n3": None,
        "d2": "example.co.jp",
        # a query parameter only at a parameter boundary, empty means absent
        "q1": "G1",
        "q2": None,
        "q3": None,
        "q4": None,
    }


def _show(sql: str, db: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    return _dbt(["show", "--inline", sql, "--output", "json", "--log-format", "text"], db, tmp)


def test_connected_components_converge_or_fail_loudly(warehouse: tuple[Path, Path]) -> None:
    """A chain of 300 records (each linked to the next) is one component: with pointer
    jumping 12 passes are plenty (diameter 299 ~ 2^8.2); the label everywhere is the
    smallest key, 'n000'. With 2 passes the labels cannot converge: the statement must fail
    with the documented message instead of returning a half-merged component."""
    db, tmp = warehouse
    template = """
        with nodes as (
            select 'n' || lpad(cast(i as varchar), 3, '0') as node_id,
                   'n' || lpad(cast(i as varchar), 3, '0') as label
            from range(300) as t(i)
        ),
        edges as (
            select 'n' || lpad(cast(i as varchar), 3, '0') as left_node_id,
                   'n' || lpad(cast(i + 1 as varchar), 3, '0') as right_node_id
            from range(299) as t(i)
        ),
        {{{{ connected_components('nodes', 'edges', prefix='cc', passes={passes}) }}}}
        select count(distinct label) as labels, min(label) as label from cc_final
    """
    result = _show(template.format(passes=12), db, tmp)
    assert result.returncode == 0, result.stdout[-4000:]
    out = result.stdout
    row = json.loads(out[out.index("{", out.index('"show"') - 20) : out.rindex("}") + 1])["show"][0]
    assert row == {"labels": 1, "label": "n000"}
    failed = _show(template.format(passes=2), db, tmp)
    assert failed.returncode != 0
    assert "did not converge in 2 passes" in failed.stdout


def _manifest(warehouse: tuple[Path, Path]) -> dict:
    return json.loads((warehouse[1] / "target" / "manifest.json").read_text())


def _layer(node: dict) -> str:
    return Path(node["original_file_path"]).parts[1]


def test_no_model_reads_a_later_layer(warehouse: tuple[Path, Path]) -> None:
    """Every model's parents are in its own layer or an earlier one: an intermediate model
    reading a mart would make the DAG run intermediate -> mart -> intermediate."""
    manifest = _manifest(warehouse)
    models = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["package_name"] == "revloop"
    }
    backwards = []
    for node in models.values():
        for parent in node["depends_on"]["nodes"]:
            if parent in models and LAYER_ORDER[_layer(models[parent])] > LAYER_ORDER[_layer(node)]:
                backwards.append((node["name"], models[parent]["name"]))
    assert len(models) > 50
    assert backwards == []


def test_every_intermediate_and_mart_model_is_documented(warehouse: tuple[Path, Path]) -> None:
    """One yml per folder, a description for every intermediate and mart model."""
    manifest = _manifest(warehouse)
    undocumented = sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["package_name"] == "revloop"
        and _layer(node) in ("intermediate", "marts")
        and not node["description"].strip()
    )
    assert undocumented == []
    for folder in (PROJECT / "models" / "intermediate").iterdir():
        ymls = list(folder.glob("_*__models.yml"))
        assert len(ymls) == 1, folder
        assert yaml.safe_load(ymls[0].read_text())["models"], folder
