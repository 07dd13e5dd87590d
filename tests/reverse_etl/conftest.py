"""Fixtures shared by the reverse-ETL tests: a real sandbox CRM over a real socket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reverse_etl.sandbox.server import SandboxHandle, start_background

SANDBOX_TEST_TOKEN = "test-sandbox-token"


@pytest.fixture
def sandbox(tmp_path) -> Iterator[SandboxHandle]:
    """A fresh sandbox subprocess on an ephemeral port with its own SQLite file.

    The handle exposes .url, .token, .db_path, .stop(), .configure_faults(**faults),
    .configure(**config), .request_log() and .reset(data=False).
    """
    handle = start_background(
        port=0,
        db_path=tmp_path / "sandbox" / "sandbox.sqlite",
        extracts=None,
        token=SANDBOX_TEST_TOKEN,
    )
    try:
        yield handle
    finally:
        handle.stop()
