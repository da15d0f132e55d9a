"""Resources for both environments, built from `Settings` in one place."""

from __future__ import annotations

from dagster import ConfigurableResource, EnvVar

from elt_pipeline.defs.dbt.project import dbt_resource
from elt_pipeline.lib.landing import Landing, open_landing
from elt_pipeline.lib.staging import Staging, open_staging
from elt_pipeline.lib.warehouse import Warehouse
from elt_pipeline.settings import HASH_SALT_VARIABLE, Settings

# Every step that writes the warehouse (raw loads, dbt) takes a slot of this pool, however its
# run was launched (sensor, UI, backfill). Local: 1 slot, a DuckDB file has one writer.
WAREHOUSE_POOL = "warehouse"


class LandingResource(ConfigurableResource):
    """Where dumps land: a folder (local) or `gs://bucket/prefix` (gcp)."""

    uri: str

    def open(self) -> Landing:
        return open_landing(self.uri)


class StagingResource(ConfigurableResource):
    """Where converted Parquet and manifests go: a folder (local) or `gs://bucket/prefix` (gcp)."""

    uri: str

    def open(self) -> Staging:
        return open_staging(self.uri)


class WarehouseResource(ConfigurableResource):
    """The raw dataset of the warehouse: a DuckDB file (local) or BigQuery (gcp)."""

    kind: str  # "duckdb" | "bigquery"
    dataset: str
    duckdb_path: str = ""
    gcp_project: str = ""
    location: str = ""
    api_endpoint: str = ""

    def open(self) -> Warehouse:
        if self.kind == "bigquery":
            from elt_pipeline.lib.warehouse.bigquery import BigQueryWarehouse

            return BigQueryWarehouse(
                project=self.gcp_project,
                dataset=self.dataset,
                location=self.location,
                api_endpoint=self.api_endpoint or None,
            )
        from elt_pipeline.lib.warehouse.duckdb import DuckDBWarehouse

        return DuckDBWarehouse(self.duckdb_path, self.dataset)


class ConverterResource(ConfigurableResource):
    """Converter options that are secrets or limits, not code."""

    hash_salt: str
    max_dump_bytes: int


def build_resources(settings: Settings, max_dump_bytes: int) -> dict[str, object]:
    return {
        "landing": LandingResource(uri=settings.landing_uri),
        "staging": StagingResource(uri=settings.parquet_uri),
        "warehouse": WarehouseResource(
            kind="duckdb" if settings.env == "local" else "bigquery",
            dataset=settings.raw_dataset,
            duckdb_path=str(settings.duckdb_path),
            gcp_project=settings.gcp_project or "",
            location=settings.bq_location,
            api_endpoint=settings.bq_api_endpoint or "",
        ),
        "converter": ConverterResource(
            hash_salt=EnvVar(HASH_SALT_VARIABLE) if settings.salt_from_environment else settings.hash_salt,
            max_dump_bytes=max_dump_bytes,
        ),
        "dbt": dbt_resource(settings),
    }
