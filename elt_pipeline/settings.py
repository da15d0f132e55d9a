"""Environment settings: the only place that reads environment variables, and the one place
that decides the environment.

`ELT_ENV=local` (default) gives `LocalSettings` (folders and a DuckDB file); `ELT_ENV=gcp`
gives `GcpSettings` (GCS and BigQuery). Everything downstream dispatches on that type, never
on URI schemes or strings. Every variable is documented in `elt_pipeline/deploy/env.example`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
DEFAULT_PIPELINE_CONFIG = PACKAGE_DIR / "pipeline.yaml"
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"  # a source checkout

# Names shared with terraform/ and dbt_project/ (tests check they agree).
DEFAULT_RAW_DATASET = "elt_raw"
DEFAULT_STAGING_DATASET = "elt_staging"
DEFAULT_MARTS_DATASET = "elt_marts"
DEFAULT_BQ_LOCATION = "EU"
HASH_SALT_VARIABLE = "ELT_HASH_SALT"
# The hashing salt when ELT_HASH_SALT is unset locally: public, so development only (the import
# logs a warning when it hashes with it); gcp refuses it, and the example placeholder.
LOCAL_DEVELOPMENT_SALT = "local-development-only-salt"
EXAMPLE_SALT = "change-me-from-secret-manager"  # the placeholder in deploy/env.example
PLACEHOLDER_SALTS = {
    LOCAL_DEVELOPMENT_SALT: "the local development-only default",
    EXAMPLE_SALT: "the example placeholder of deploy/env.example",
}


def default_bucket_name(project: str, purpose: Literal["landing", "parquet", "dagster-logs"]) -> str:
    """Bucket name terraform creates for `purpose` in `project`."""
    return f"{project}-elt-{purpose}"


class SettingsError(ValueError):
    """An environment variable is missing or invalid."""


@dataclass(frozen=True, kw_only=True)
class EmailSettings:
    """An SMTP server and who gets the alert e-mails."""

    host: str
    port: int = 587
    starttls: bool = True
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str
    recipients: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class AlertSettings:
    """Where failed runs are reported: a Slack-compatible incoming webhook and/or e-mail.
    Neither set: no alert sensor."""

    webhook_url: str | None = field(default=None, repr=False)  # the URL is the webhook's secret
    email: EmailSettings | None = None
    ui_base_url: str = "http://localhost:3000"  # links to runs in the Dagster UI

    @property
    def enabled(self) -> bool:
        return bool(self.webhook_url or self.email)


@dataclass(frozen=True, kw_only=True)
class _CommonSettings:
    pipeline_config_path: Path
    raw_dataset: str
    staging_dataset: str  # dbt staging and intermediate models
    marts_dataset: str
    hash_salt: str
    salt_from_environment: bool  # True: the UI shows `EnvVar("ELT_HASH_SALT")`, never the value
    alerts: AlertSettings = AlertSettings()

    def dataset_of_layer(self, layer: str) -> str:
        """The dataset (schema) a dbt layer's models live in."""
        return self.marts_dataset if layer == "marts" else self.staging_dataset

    @property
    def catalog(self) -> str:
        """What holds the datasets: the DuckDB file's catalog, or the GCP project."""
        raise NotImplementedError

    def qualified_table(self, dataset: str, table: str) -> str:
        """`<catalog>.<dataset>.<table>`, as the warehouse names it."""
        return f"{self.catalog}.{dataset}.{table}"


@dataclass(frozen=True, kw_only=True)
class LocalSettings(_CommonSettings):
    """Landing and Parquet folders on disk, a DuckDB file warehouse."""

    landing_dir: Path
    parquet_dir: Path  # converted Parquet + manifests, between the import and the load
    duckdb_path: Path
    dbt_target: Literal["duckdb"] = "duckdb"

    @property
    def catalog(self) -> str:
        """DuckDB names a file's catalog after its stem."""
        return self.duckdb_path.stem

    def dbt_profile_vars(self) -> dict[str, str]:
        """What `dbt_project/profiles.yml` reads for this target (passed with `--vars`)."""
        return {"duckdb_path": str(self.duckdb_path)}


@dataclass(frozen=True, kw_only=True)
class GcpSettings(_CommonSettings):
    """Landing and Parquet under gs:// URIs, BigQuery warehouse."""

    landing_uri: str
    parquet_uri: str
    gcp_project: str
    bq_location: str = DEFAULT_BQ_LOCATION
    bq_api_endpoint: str | None = None  # emulator only
    dbt_target: Literal["bigquery"] = "bigquery"

    @property
    def catalog(self) -> str:
        return self.gcp_project

    def dbt_profile_vars(self) -> dict[str, str]:
        return {
            "gcp_project": self.gcp_project,
            "bq_location": self.bq_location,
            "bq_api_endpoint": self.bq_api_endpoint or "",
        }


Settings = LocalSettings | GcpSettings


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings of `ELT_ENV` from environment variables (default: `os.environ`)."""
    environ = os.environ if environ is None else environ
    env = environ.get("ELT_ENV", "local")
    common = dict(
        pipeline_config_path=Path(environ.get("ELT_PIPELINE_CONFIG", DEFAULT_PIPELINE_CONFIG)),
        raw_dataset=environ.get("ELT_RAW_DATASET", DEFAULT_RAW_DATASET),
        staging_dataset=environ.get("ELT_STAGING_DATASET", DEFAULT_STAGING_DATASET),
        marts_dataset=environ.get("ELT_MARTS_DATASET", DEFAULT_MARTS_DATASET),
        salt_from_environment=HASH_SALT_VARIABLE in environ,
        alerts=load_alert_settings(environ),
    )
    if env == "local":
        return _local(environ, common)
    if env == "gcp":
        return _gcp(environ, common)
    raise SettingsError(f"ELT_ENV must be 'local' or 'gcp', got {env!r}")


def _local(environ: Mapping[str, str], common: dict) -> LocalSettings:
    data_dir = Path(environ.get("ELT_DATA_DIR", PROJECT_DIR / "data")).resolve()
    landing = _local_folder(environ, "ELT_LANDING_URI", data_dir / "landing")
    parquet = _local_folder(environ, "ELT_PARQUET_URI", data_dir / "parquet")
    return LocalSettings(
        landing_dir=landing,
        parquet_dir=parquet,
        duckdb_path=Path(environ.get("ELT_DUCKDB_PATH", data_dir / "warehouse.duckdb")).resolve(),
        hash_salt=environ.get(HASH_SALT_VARIABLE, LOCAL_DEVELOPMENT_SALT),
        **common,
    )


def _local_folder(environ: Mapping[str, str], variable: str, default: Path) -> Path:
    value = environ.get(variable)
    if value is None:
        return default
    if "://" in value:
        raise SettingsError(f"{variable}={value!r} is a URI, but ELT_ENV is 'local': give a folder, or set ELT_ENV=gcp")
    return Path(value).resolve()


def _gcp(environ: Mapping[str, str], common: dict) -> GcpSettings:
    project = environ.get("ELT_GCP_PROJECT") or environ.get("GOOGLE_CLOUD_PROJECT")
    if not project:
        raise SettingsError("ELT_ENV=gcp needs ELT_GCP_PROJECT (or GOOGLE_CLOUD_PROJECT)")
    salt = environ.get(HASH_SALT_VARIABLE)
    if not salt:
        raise SettingsError("ELT_ENV=gcp needs ELT_HASH_SALT (from Secret Manager)")
    if salt in PLACEHOLDER_SALTS:
        raise SettingsError(
            f"ELT_HASH_SALT is {PLACEHOLDER_SALTS[salt]}, a public value with which anyone could confirm "
            "guesses of a hashed column's values: ELT_ENV=gcp needs the secret's real value (from Secret Manager)"
        )
    return GcpSettings(
        landing_uri=_gs_uri(environ, "ELT_LANDING_URI", f"gs://{default_bucket_name(project, 'landing')}"),
        parquet_uri=_gs_uri(environ, "ELT_PARQUET_URI", f"gs://{default_bucket_name(project, 'parquet')}"),
        gcp_project=project,
        bq_location=environ.get("ELT_BQ_LOCATION", DEFAULT_BQ_LOCATION),
        bq_api_endpoint=environ.get("ELT_BQ_API_ENDPOINT") or None,
        hash_salt=salt,
        **common,
    )


def _gs_uri(environ: Mapping[str, str], variable: str, default: str) -> str:
    value = environ.get(variable, default)
    if not value.startswith("gs://") or len(value) <= len("gs://"):
        raise SettingsError(f"{variable}={value!r} is not a gs://bucket[/prefix] URI, but ELT_ENV is 'gcp'")
    return value.rstrip("/")


def load_alert_settings(environ: Mapping[str, str]) -> AlertSettings:
    """Alert destinations from `ELT_ALERT_*` variables (both environments)."""
    return AlertSettings(
        webhook_url=environ.get("ELT_ALERT_WEBHOOK_URL") or None,
        email=_email(environ),
        ui_base_url=environ.get("ELT_UI_BASE_URL", AlertSettings.ui_base_url).rstrip("/"),
    )


def _email(environ: Mapping[str, str]) -> EmailSettings | None:
    host = environ.get("ELT_ALERT_SMTP_HOST")
    recipients = tuple(r.strip() for r in environ.get("ELT_ALERT_EMAIL_TO", "").split(",") if r.strip())
    if not host and not recipients:
        return None
    sender = environ.get("ELT_ALERT_EMAIL_FROM")
    if not (host and recipients and sender):
        raise SettingsError(
            "e-mail alerts need ELT_ALERT_SMTP_HOST, ELT_ALERT_EMAIL_FROM and ELT_ALERT_EMAIL_TO (comma-separated)"
        )
    port = environ.get("ELT_ALERT_SMTP_PORT", "587")
    if not port.isdigit():
        raise SettingsError(f"ELT_ALERT_SMTP_PORT={port!r} is not a port number")
    starttls = environ.get("ELT_ALERT_SMTP_STARTTLS", "true").lower()
    if starttls not in ("true", "false"):
        raise SettingsError(f"ELT_ALERT_SMTP_STARTTLS={starttls!r} must be true or false")
    return EmailSettings(
        host=host,
        port=int(port),
        starttls=starttls == "true",
        username=environ.get("ELT_ALERT_SMTP_USER") or None,
        password=environ.get("ELT_ALERT_SMTP_PASSWORD") or None,
        sender=sender,
        recipients=recipients,
    )
