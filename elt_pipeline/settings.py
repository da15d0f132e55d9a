"""Environment settings: the only place that reads environment variables.

`ELT_ENV=local` (default) runs on a folder and a DuckDB file; `ELT_ENV=gcp` on GCS and
BigQuery. Every variable is documented in `elt_pipeline/deploy/env.example`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"
DEFAULT_PIPELINE_CONFIG = PACKAGE_DIR / "pipeline.yaml"

# Names shared with terraform/ (tests/test_terraform.py checks they agree).
DEFAULT_RAW_DATASET = "elt_raw"
DEFAULT_STAGING_DATASET = "elt_staging"
DEFAULT_MARTS_DATASET = "elt_marts"
DEFAULT_BQ_LOCATION = "EU"
HASH_SALT_VARIABLE = "ELT_HASH_SALT"


def default_bucket_name(project: str, purpose: Literal["landing", "parquet", "dagster-logs"]) -> str:
    """Bucket name terraform creates for `purpose` in `project`."""
    return f"{project}-elt-{purpose}"


class SettingsError(ValueError):
    """An environment variable is missing or invalid."""


@dataclass(frozen=True)
class Settings:
    env: Literal["local", "gcp"]
    landing_uri: str
    parquet_uri: str  # converted Parquet + manifests, between the import and the load
    pipeline_config_path: Path
    raw_dataset: str
    staging_dataset: str
    marts_dataset: str
    hash_salt: str
    duckdb_path: Path
    salt_from_environment: bool = False  # True: show the UI `EnvVar("ELT_HASH_SALT")`, not a value
    gcp_project: str | None = None
    bq_location: str = DEFAULT_BQ_LOCATION
    bq_api_endpoint: str | None = None

    @property
    def dbt_target(self) -> str:
        return "duckdb" if self.env == "local" else "bigquery"

    def dbt_env(self) -> dict[str, str]:
        """Environment variables `dbt_project/profiles.yml` reads."""
        env = {
            "ELT_RAW_DATASET": self.raw_dataset,
            "ELT_STAGING_DATASET": self.staging_dataset,
            "ELT_MARTS_DATASET": self.marts_dataset,
            "ELT_DUCKDB_PATH": str(self.duckdb_path),
            "ELT_BQ_LOCATION": self.bq_location,
        }
        if self.gcp_project:
            env["ELT_GCP_PROJECT"] = self.gcp_project
        if self.bq_api_endpoint:
            env["ELT_BQ_API_ENDPOINT"] = self.bq_api_endpoint
        return env


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build `Settings` from environment variables (default: `os.environ`)."""
    environ = os.environ if environ is None else environ
    env = environ.get("ELT_ENV", "local")
    if env not in ("local", "gcp"):
        raise SettingsError(f"ELT_ENV must be 'local' or 'gcp', got {env!r}")
    data_dir = Path(environ.get("ELT_DATA_DIR", PROJECT_DIR / "data")).resolve()
    common = dict(
        pipeline_config_path=Path(environ.get("ELT_PIPELINE_CONFIG", DEFAULT_PIPELINE_CONFIG)),
        raw_dataset=environ.get("ELT_RAW_DATASET", DEFAULT_RAW_DATASET),
        staging_dataset=environ.get("ELT_STAGING_DATASET", DEFAULT_STAGING_DATASET),
        marts_dataset=environ.get("ELT_MARTS_DATASET", DEFAULT_MARTS_DATASET),
        duckdb_path=Path(environ.get("ELT_DUCKDB_PATH", data_dir / "warehouse.duckdb")),
    )
    if env == "local":
        return Settings(
            env="local",
            landing_uri=environ.get("ELT_LANDING_URI", str(data_dir / "landing")),
            parquet_uri=environ.get("ELT_PARQUET_URI", str(data_dir / "parquet")),
            # Local demo only: gcp mode refuses to start without a real salt.
            hash_salt=environ.get(HASH_SALT_VARIABLE, "local-development-salt"),
            salt_from_environment=HASH_SALT_VARIABLE in environ,
            **common,
        )
    project = environ.get("ELT_GCP_PROJECT") or environ.get("GOOGLE_CLOUD_PROJECT")
    if not project:
        raise SettingsError("ELT_ENV=gcp needs ELT_GCP_PROJECT (or GOOGLE_CLOUD_PROJECT)")
    salt = environ.get(HASH_SALT_VARIABLE)
    if not salt:
        raise SettingsError("ELT_ENV=gcp needs ELT_HASH_SALT (from Secret Manager)")
    return Settings(
        env="gcp",
        landing_uri=environ.get("ELT_LANDING_URI", f"gs://{default_bucket_name(project, 'landing')}"),
        parquet_uri=environ.get("ELT_PARQUET_URI", f"gs://{default_bucket_name(project, 'parquet')}"),
        hash_salt=salt,
        salt_from_environment=True,
        gcp_project=project,
        bq_location=environ.get("ELT_BQ_LOCATION", DEFAULT_BQ_LOCATION),
        bq_api_endpoint=environ.get("ELT_BQ_API_ENDPOINT") or None,
        **common,
    )
