"""Fixtures of the revenue mart tests: the hand-made world of revenue_world.py, built once
per session through the real dbt models (one `dbt build`), and a read-only connection."""

from __future__ import annotations

import duckdb
import pytest

from tests.marts import revenue_world


@pytest.fixture(scope="session")
def revenue_world_build(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """{"db": Path, "target": Path, "stdout": str, "world": World}."""
    return revenue_world.build(tmp_path_factory.mktemp("revenue_world"))


@pytest.fixture(scope="session")
def revenue_con(revenue_world_build: dict):
    con = duckdb.connect(str(revenue_world_build["db"]), read_only=True)
    yield con
    con.close()
