"""revloop's configuration, read once from the environment (docs/architecture.md "Paths").

One frozen dataclass so the CLI, Dagster resources and tests agree on every default. Tokens
are kept out of ``repr`` so a logged ``Settings`` never leaks a secret.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SANDBOX_TOKEN = "revloop-sandbox-token"
DEFAULT_SALESFORCE_API_VERSION = "62.0"


@dataclass(frozen=True)
class Settings:
    """Paths and CRM endpoints for one revloop run. Empty CRM URL = use the bundled sandbox."""

    extracts: Path
    warehouse: Path
    sandbox_db: Path
    sandbox_token: str = field(default=DEFAULT_SANDBOX_TOKEN, repr=False)
    salesforce_instance_url: str = ""
    salesforce_access_token: str = field(default="", repr=False)
    salesforce_api_version: str = DEFAULT_SALESFORCE_API_VERSION
    hubspot_base_url: str = ""
    hubspot_access_token: str = field(default="", repr=False)
    # Salesforce OAuth (an unattended run needs a flow it can repeat; see reverse_etl README)
    salesforce_login_url: str = "https://login.salesforce.com"
    salesforce_client_id: str = ""
    salesforce_client_secret: str = field(default="", repr=False)
    salesforce_refresh_token: str = field(default="", repr=False)
    salesforce_username: str = ""
    salesforce_jwt_key_file: str = ""
    marketo_base_url: str = ""  # https://<munchkin-id>.mktorest.com (REST + Bulk Extract)
    marketo_client_id: str = field(default="", repr=False)
    marketo_client_secret: str = field(default="", repr=False)
    dbt_project_dir: Path = REPO_ROOT / "dbt_project"
    syncs_dir: Path = REPO_ROOT / "reverse_etl" / "syncs"

    @property
    def truth_dir(self) -> Path:
        """Ground truth sits beside the extracts folder (identity benchmark only)."""
        return self.extracts.parent / "truth"

    @property
    def uses_sandbox(self) -> bool:
        """True when neither CRM is configured, so runs talk to the bundled local CRM."""
        return not (
            self.salesforce_instance_url or self.hubspot_base_url or self.salesforce_client_id
        )

    def crm_config(self, sandbox_url: str = ""):  # -> reverse_etl.destinations.CrmConfig
        """The reverse ETL's destination settings, passed explicitly (the engine never reads
        the environment). Secrets stay out of every repr."""
        from reverse_etl.destinations import CrmConfig

        return CrmConfig(
            salesforce_instance_url=self.salesforce_instance_url,
            salesforce_access_token=self.salesforce_access_token,
            salesforce_api_version=self.salesforce_api_version,
            salesforce_login_url=self.salesforce_login_url,
            salesforce_client_id=self.salesforce_client_id,
            salesforce_client_secret=self.salesforce_client_secret,
            salesforce_refresh_token=self.salesforce_refresh_token,
            salesforce_username=self.salesforce_username,
            salesforce_jwt_key_file=self.salesforce_jwt_key_file,
            hubspot_base_url=self.hubspot_base_url,
            hubspot_access_token=self.hubspot_access_token,
            sandbox_url=sandbox_url,
            sandbox_token=self.sandbox_token,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        extracts = Path(env.get("REVLOOP_EXTRACTS") or "data/extracts")
        warehouse = Path(env.get("REVLOOP_WAREHOUSE") or "warehouse/revloop.duckdb")
        sandbox_db = Path(env.get("REVLOOP_SANDBOX_DB") or warehouse.parent / "sandbox.sqlite")
        return cls(
            extracts=extracts,
            warehouse=warehouse,
            sandbox_db=sandbox_db,
            sandbox_token=env.get("REVLOOP_SANDBOX_TOKEN") or DEFAULT_SANDBOX_TOKEN,
            salesforce_instance_url=env.get("SALESFORCE_INSTANCE_URL", ""),
            salesforce_access_token=env.get("SALESFORCE_ACCESS_TOKEN", ""),
            salesforce_api_version=env.get("SALESFORCE_API_VERSION")
            or DEFAULT_SALESFORCE_API_VERSION,
            hubspot_base_url=env.get("HUBSPOT_BASE_URL", ""),
            hubspot_access_token=env.get("HUBSPOT_ACCESS_TOKEN", ""),
            salesforce_login_url=env.get("SALESFORCE_LOGIN_URL") or "https://login.salesforce.com",
            salesforce_client_id=env.get("SALESFORCE_CLIENT_ID", ""),
            salesforce_client_secret=env.get("SALESFORCE_CLIENT_SECRET", ""),
            salesforce_refresh_token=env.get("SALESFORCE_REFRESH_TOKEN", ""),
            salesforce_username=env.get("SALESFORCE_USERNAME", ""),
            salesforce_jwt_key_file=env.get("SALESFORCE_JWT_KEY_FILE", ""),
            marketo_base_url=env.get("MARKETO_BASE_URL", ""),
            marketo_client_id=env.get("MARKETO_CLIENT_ID", ""),
            marketo_client_secret=env.get("MARKETO_CLIENT_SECRET", ""),
        )
