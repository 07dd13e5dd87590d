"""What every ``revloop`` command shares: exit codes, settings made absolute, the CRM in use.

This is the environment's edge: ``Settings.from_env()`` is read here and passed down as
explicit paths and endpoints; library code never consults the environment itself.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import replace

from orchestration.settings import Settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNAVAILABLE = 2


def parse_date(text: str) -> dt.date:
    """argparse type for ``YYYY-MM-DD``."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def absolute_settings() -> Settings:
    """Settings with absolute paths, exported back to the environment for child processes
    (dbt runs in dbt_project/, so a relative warehouse path would point elsewhere)."""
    s = Settings.from_env()
    s = replace(
        s,
        extracts=s.extracts.resolve(),
        warehouse=s.warehouse.resolve(),
        sandbox_db=s.sandbox_db.resolve(),
    )
    os.environ["REVLOOP_EXTRACTS"] = str(s.extracts)
    os.environ["REVLOOP_WAREHOUSE"] = str(s.warehouse)
    os.environ["REVLOOP_SANDBOX_DB"] = str(s.sandbox_db)
    s.warehouse.parent.mkdir(parents=True, exist_ok=True)
    return s


@contextlib.contextmanager
def crm_endpoints(settings: Settings) -> Iterator[str]:
    """Yield a description of the CRM in use; start the sandbox when no CRM is configured."""
    if not settings.uses_sandbox:
        parts = [settings.salesforce_instance_url, settings.hubspot_base_url]
        yield "configured CRM: " + ", ".join(p for p in parts if p)
        return
    from sandbox.server import start_background

    handle = start_background(0, settings.sandbox_db, settings.extracts, settings.sandbox_token)
    env = {
        "SALESFORCE_INSTANCE_URL": handle.url,
        "HUBSPOT_BASE_URL": handle.url,
        "SALESFORCE_ACCESS_TOKEN": settings.sandbox_token,
        "HUBSPOT_ACCESS_TOKEN": settings.sandbox_token,
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield f"local sandbox CRM at {handle.url} (state in {settings.sandbox_db})"
    finally:
        handle.stop()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
