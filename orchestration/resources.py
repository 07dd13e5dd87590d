"""Every Dagster resource, built in one place from the environment.

The same ``REVLOOP_WAREHOUSE`` feeds ``DuckDBResource``, dbt's profile and the loaders, so
all steps see one file. A variable that is set becomes a ``dg.EnvVar`` (resolved at run
time, never stored in the definitions); an unset one falls back to the documented default.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from orchestration.dbt_project import dbt_executable, dbt_project
from orchestration.defs.quality.resources import QualityGate
from orchestration.settings import Settings

log = logging.getLogger(__name__)


def _env_or_default(name: str, default: str) -> str | dg.EnvVar:
    return dg.EnvVar(name) if os.environ.get(name) else default


class RevloopPaths(dg.ConfigurableResource):
    """Where the extracts, the warehouse and the sync definitions live."""

    extracts: str
    warehouse: str
    syncs_dir: str

    @property
    def extracts_path(self) -> Path:
        return Path(self.extracts)

    @property
    def warehouse_path(self) -> Path:
        return Path(self.warehouse)

    @property
    def syncs_path(self) -> Path:
        return Path(self.syncs_dir)


class CrmResource(dg.ConfigurableResource):
    """CRM endpoints for the reverse ETL; empty URLs mean "use the bundled sandbox".

    The sync engine reads its endpoints from the environment (docs/architecture.md), so
    ``endpoints()`` exports them for the duration of a sync, starting the local sandbox
    when no real CRM is configured (and no sandbox is already running for this process).
    """

    salesforce_instance_url: str = ""
    salesforce_access_token: str = ""
    hubspot_base_url: str = ""
    hubspot_access_token: str = ""
    salesforce_login_url: str = ""
    salesforce_client_id: str = ""
    salesforce_client_secret: str = ""
    salesforce_refresh_token: str = ""
    salesforce_username: str = ""
    salesforce_jwt_key_file: str = ""
    sandbox_token: str = ""
    sandbox_db: str = ""

    def crm_config(self, urls: dict[str, str]):  # -> reverse_etl.destinations.CrmConfig
        """Explicit destination settings for the engine (OAuth when a client id is set)."""
        s = Settings.from_env()
        from reverse_etl.destinations import CrmConfig

        sandbox = urls.get("sandbox", "")
        return CrmConfig(
            salesforce_instance_url=self.salesforce_instance_url
            or ("" if sandbox else urls.get("salesforce", "")),
            salesforce_access_token=self.salesforce_access_token or s.salesforce_access_token,
            salesforce_api_version=s.salesforce_api_version,
            salesforce_login_url=self.salesforce_login_url or s.salesforce_login_url,
            salesforce_client_id=self.salesforce_client_id or s.salesforce_client_id,
            salesforce_client_secret=self.salesforce_client_secret or s.salesforce_client_secret,
            salesforce_refresh_token=self.salesforce_refresh_token or s.salesforce_refresh_token,
            salesforce_username=self.salesforce_username or s.salesforce_username,
            salesforce_jwt_key_file=self.salesforce_jwt_key_file or s.salesforce_jwt_key_file,
            hubspot_base_url=self.hubspot_base_url or ("" if sandbox else urls.get("hubspot", "")),
            hubspot_access_token=self.hubspot_access_token or s.hubspot_access_token,
            sandbox_url=sandbox,
            sandbox_token=self.sandbox_token or s.sandbox_token,
        )

    @contextlib.contextmanager
    def endpoints(self, extracts: Path) -> Iterator[dict[str, str]]:
        sf_url = self.salesforce_instance_url or os.environ.get("SALESFORCE_INSTANCE_URL", "")
        hs_url = self.hubspot_base_url or os.environ.get("HUBSPOT_BASE_URL", "")
        handle = None
        env: dict[str, str] = {}
        sandbox = ""
        try:
            if not (sf_url or hs_url or self.salesforce_client_id):
                from sandbox.server import start_background

                settings = Settings.from_env()
                token = self.sandbox_token or settings.sandbox_token
                db = Path(self.sandbox_db) if self.sandbox_db else settings.sandbox_db
                db.parent.mkdir(parents=True, exist_ok=True)
                handle = start_background(0, db, extracts, token)
                log.info("no CRM configured: started the local sandbox at %s", handle.url)
                sf_url = hs_url = sandbox = handle.url
                env = {
                    "SALESFORCE_ACCESS_TOKEN": token,
                    "HUBSPOT_ACCESS_TOKEN": token,
                }
            env["SALESFORCE_INSTANCE_URL"] = sf_url
            env["HUBSPOT_BASE_URL"] = hs_url
            if self.salesforce_access_token:
                env["SALESFORCE_ACCESS_TOKEN"] = self.salesforce_access_token
            if self.hubspot_access_token:
                env["HUBSPOT_ACCESS_TOKEN"] = self.hubspot_access_token
            with patched_environ(env):
                yield {"salesforce": sf_url, "hubspot": hs_url, "sandbox": sandbox}
        finally:
            if handle is not None:
                handle.stop()


@contextlib.contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for a block and restore the previous values afterwards."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update({k: v for k, v in values.items() if v})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def build_resources() -> dict[str, object]:
    """The resource dict for ``Definitions``, resolved from env (defaults per architecture)."""
    s = Settings.from_env()
    warehouse = _env_or_default("REVLOOP_WAREHOUSE", str(s.warehouse))
    return {
        "duckdb": DuckDBResource(database=warehouse),
        "dbt": DbtCliResource(
            project_dir=dbt_project,
            profiles_dir=str(dbt_project.project_dir),
            dbt_executable=dbt_executable(),
        ),
        "paths": RevloopPaths(
            extracts=_env_or_default("REVLOOP_EXTRACTS", str(s.extracts)),
            warehouse=warehouse,
            syncs_dir=str(s.syncs_dir),
        ),
        "crm": CrmResource(
            salesforce_instance_url=_env_or_default("SALESFORCE_INSTANCE_URL", ""),
            salesforce_access_token=_env_or_default("SALESFORCE_ACCESS_TOKEN", ""),
            hubspot_base_url=_env_or_default("HUBSPOT_BASE_URL", ""),
            hubspot_access_token=_env_or_default("HUBSPOT_ACCESS_TOKEN", ""),
            salesforce_login_url=_env_or_default("SALESFORCE_LOGIN_URL", ""),
            salesforce_client_id=_env_or_default("SALESFORCE_CLIENT_ID", ""),
            salesforce_client_secret=_env_or_default("SALESFORCE_CLIENT_SECRET", ""),
            salesforce_refresh_token=_env_or_default("SALESFORCE_REFRESH_TOKEN", ""),
            salesforce_username=_env_or_default("SALESFORCE_USERNAME", ""),
            salesforce_jwt_key_file=_env_or_default("SALESFORCE_JWT_KEY_FILE", ""),
            sandbox_token=_env_or_default("REVLOOP_SANDBOX_TOKEN", s.sandbox_token),
            sandbox_db=_env_or_default("REVLOOP_SANDBOX_DB", str(s.sandbox_db)),
        ),
        "quality_gate": QualityGate(
            gx_dir=_env_or_default("REVLOOP_GX_DIR", ""),
            snapshot=_env_or_default("REVLOOP_SNAPSHOT", ""),
            alert_webhook_url=_env_or_default("REVLOOP_ALERT_WEBHOOK_URL", ""),
            accept_release_diff=os.environ.get("REVLOOP_ACCEPT_RELEASE_DIFF", "") in ("1", "true"),
        ),
    }
