"""The dbt DAG flows one way (issue 16, finding 11): staging -> intermediate -> marts ->
reverse_etl, so intermediate never reads marts, and every intermediate folder documents its
models. Checked on the manifest of a `dbt parse` (no warehouse needed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")
LAYER_ORDER = {"staging": 0, "intermediate": 1, "marts": 2, "reverse_etl": 3}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("layering")
    env = dict(
        os.environ,
        REVLOOP_WAREHOUSE=str(tmp / "unused.duckdb"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    result = subprocess.run(
        [
            str(DBT),
            "parse",
            "--project-dir",
            str(PROJECT),
            "--profiles-dir",
            str(PROJECT),
            "--target-path",
            str(tmp / "target"),
            "--log-path",
            str(tmp / "logs"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    return json.loads((tmp / "target" / "manifest.json").read_text())


def _layer(node: dict) -> str:
    return Path(node["original_file_path"]).parts[1]


def test_no_model_reads_a_later_layer(manifest: dict) -> None:
    """Every model's parents are in its own layer or an earlier one: an intermediate model
    reading a mart would make the DAG run intermediate -> mart -> intermediate."""
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


def test_every_intermediate_and_mart_model_is_documented(manifest: dict) -> None:
    """One yml per folder, a description for every intermediate and mart model."""
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
