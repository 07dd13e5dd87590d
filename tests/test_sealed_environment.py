"""The suite owns its world: a developer's environment cannot change what the tests see.

Runs a slice of the suite that once leaked (the sandbox seeding itself from
``$REVLOOP_EXTRACTS``, the crash test) in a child pytest whose environment is as polluted
as a developer's after ``make demo`` with a real org configured: REVLOOP_* pointing at a
populated extracts folder and a warehouse, SALESFORCE_/HUBSPOT_ URLs at an address that
records every connection, a DAGSTER_HOME. The slice must pass and nobody may connect.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

from tests.conftest import sealed_names

REPO = Path(__file__).resolve().parents[1]
SLICE = ["tests/sandbox/test_sandbox_salesforce.py", "tests/reverse_etl/test_engine_crash.py"]


class ConnectionRecorder:
    """A listening socket standing in for a dead CRM: counts connections, answers nothing."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


def _populated_extracts(folder: Path) -> Path:
    """A Salesforce Lead page with 3 leads: a sandbox seeded from it would not be empty."""
    page_dir = folder / "salesforce" / "Lead"
    page_dir.mkdir(parents=True)
    records = [
        {
            "attributes": {"type": "Lead", "url": f"/services/data/v62.0/sobjects/Lead/00Q{i}"},
            "Id": f"00Q5g0000{i:09d}AAA",
            "LastName": f"Leak{i}",
            "Company": "株式会社リーク",
            "Email": f"leak{i}@example.co.jp",
            "Status": "Open",
            "CreatedDate": "2026-03-02T01:04:05.000+0000",
            "SystemModstamp": "2026-03-02T01:04:05.000+0000",
            "IsDeleted": False,
        }
        for i in range(3)
    ]
    page = {"totalSize": 3, "done": True, "records": records}
    (page_dir / "20260302T000000Z-0001.json").write_text(json.dumps(page), encoding="utf-8")
    return folder


def test_sealed_names_cover_every_prefix() -> None:
    env = {
        "REVLOOP_EXTRACTS": "x",
        "SALESFORCE_INSTANCE_URL": "x",
        "HUBSPOT_BASE_URL": "x",
        "MARKETO_CLIENT_ID": "x",
        "DAGSTER_HOME": "x",
        "DBT_PROFILES_DIR": "x",
        "DBT_INDIRECT_SELECTION": "eager",
        "PATH": "/usr/bin",
        "HOME": "/root",
    }
    assert sorted(sealed_names(env)) == sorted(
        [
            "REVLOOP_EXTRACTS",
            "SALESFORCE_INSTANCE_URL",
            "HUBSPOT_BASE_URL",
            "MARKETO_CLIENT_ID",
            "DAGSTER_HOME",
            "DBT_PROFILES_DIR",
        ]
    )


def test_polluted_environment_changes_nothing(tmp_path: Path) -> None:
    dead = ConnectionRecorder()
    try:
        dead_url = f"http://127.0.0.1:{dead.port}"
        env = {
            **os.environ,
            "REVLOOP_EXTRACTS": str(_populated_extracts(tmp_path / "demo" / "extracts")),
            "REVLOOP_WAREHOUSE": str(tmp_path / "demo" / "warehouse" / "revloop.duckdb"),
            "REVLOOP_SANDBOX_DB": str(tmp_path / "demo" / "warehouse" / "sandbox.sqlite"),
            "REVLOOP_SANDBOX_TOKEN": "demo-token",
            "SALESFORCE_INSTANCE_URL": dead_url,
            "SALESFORCE_ACCESS_TOKEN": "real-org-token",
            "HUBSPOT_BASE_URL": dead_url,
            "HUBSPOT_ACCESS_TOKEN": "real-portal-token",
            "DAGSTER_HOME": str(tmp_path / "demo" / "dagster_home"),
        }
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SLICE],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout[-4000:]
        assert dead.connections == 0
        assert not (tmp_path / "demo" / "warehouse").exists()  # nothing wrote the demo's files
    finally:
        dead.close()
