"""Resources of both environments, and `build_resources`: the one switch between them.

Ops and assets ask for the abstract resource (`LandingResource`, `ParquetStoreResource`,
`WarehouseResource`); `build_resources` binds the local set or the gcp set, each a typed
class per backend, from the settings' type.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from elt_pipeline.defs.dbt.project import dbt_executable, dbt_project
from elt_pipeline.defs.dbt.resource import DbtCoreCliResource
from elt_pipeline.lib.pipeline_config import PipelineConfig
from elt_pipeline.lib.storage import Landing, ParquetStore
from elt_pipeline.lib.storage.local import LocalLanding, LocalParquetStore
from elt_pipeline.lib.warehouse import Warehouse
from elt_pipeline.lib.warehouse.duckdb import DuckDBWarehouse
from elt_pipeline.settings import HASH_SALT_VARIABLE, LOCAL_DEVELOPMENT_SALT, GcpSettings, LocalSettings, Settings

# Every step that writes the warehouse (raw loads, dbt) takes a slot of this pool, however its
# run was launched (sensor, UI, backfill). Local: 1 slot, a DuckDB file has one writer.
WAREHOUSE_POOL = "warehouse"


class LandingResource(ConfigurableResource, ABC):
    """Where dumps land."""

    @abstractmethod
    def open(self) -> Landing: ...


class LocalLandingResource(LandingResource):
    """A landing folder on disk."""

    folder: str

    def open(self) -> Landing:
        return LocalLanding(self.folder)


class GcsLandingResource(LandingResource):
    """A landing area under `gs://bucket/prefix`."""

    uri: str

    def open(self) -> Landing:
        from elt_pipeline.lib.storage.gcs import GcsLanding  # google-cloud-* only where used (gcp)

        return GcsLanding(self.uri)


class ParquetStoreResource(ConfigurableResource, ABC):
    """Where converted Parquet and manifests go between the import and the load."""

    @abstractmethod
    def open(self) -> ParquetStore: ...


class LocalParquetStoreResource(ParquetStoreResource):
    folder: str

    def open(self) -> ParquetStore:
        return LocalParquetStore(self.folder)


class GcsParquetStoreResource(ParquetStoreResource):
    uri: str

    def open(self) -> ParquetStore:
        from elt_pipeline.lib.storage.gcs import GcsParquetStore

        return GcsParquetStore(self.uri)


class WarehouseResource(ConfigurableResource, ABC):
    """The raw dataset of the warehouse."""

    dataset: str

    @abstractmethod
    def open(self) -> Warehouse: ...


class DuckDBWarehouseResource(WarehouseResource):
    """Raw tables in schema `dataset` of a DuckDB file."""

    path: str

    def open(self) -> Warehouse:
        return DuckDBWarehouse(self.path, self.dataset)


class BigQueryWarehouseResource(WarehouseResource):
    """Raw tables in BigQuery dataset `project.dataset` (created by terraform, never by a load)."""

    project: str
    location: str
    api_endpoint: str = ""  # emulator only

    def open(self) -> Warehouse:
        from elt_pipeline.lib.warehouse.bigquery import BigQueryWarehouse

        return BigQueryWarehouse(self.project, self.dataset, self.location, api_endpoint=self.api_endpoint or None)


class ConverterResource(ConfigurableResource):
    """Converter options that are secrets or limits, not code."""

    hash_salt: str = Field(
        description=f"Salt of the `hash` column policy: {HASH_SALT_VARIABLE}; when unset locally, "
        f"{LOCAL_DEVELOPMENT_SALT!r}, for development only (gcp refuses it)"
    )
    max_dump_bytes: int

    @property
    def uses_development_salt(self) -> bool:
        """True when hashing with the public local default (ELT_HASH_SALT unset): development only."""
        return self.hash_salt == LOCAL_DEVELOPMENT_SALT


def build_resources(settings: Settings, config: PipelineConfig) -> dict[str, object]:
    """The resources of the settings' environment: the local set or the gcp set."""
    match settings:
        case LocalSettings():
            storage = {
                "landing": LocalLandingResource(folder=str(settings.landing_dir)),
                "parquet": LocalParquetStoreResource(folder=str(settings.parquet_dir)),
                "warehouse": DuckDBWarehouseResource(path=str(settings.duckdb_path), dataset=settings.raw_dataset),
            }
        case GcpSettings():
            storage = {
                "landing": GcsLandingResource(uri=settings.landing_uri),
                "parquet": GcsParquetStoreResource(uri=settings.parquet_uri),
                "warehouse": BigQueryWarehouseResource(
                    project=settings.gcp_project,
                    dataset=settings.raw_dataset,
                    location=settings.bq_location,
                    api_endpoint=settings.bq_api_endpoint or "",
                ),
            }
    return {
        **storage,
        "converter": ConverterResource(
            hash_salt=EnvVar(HASH_SALT_VARIABLE) if settings.salt_from_environment else settings.hash_salt,
            max_dump_bytes=config.max_dump_bytes,
        ),
        "dbt": DbtCoreCliResource(project_dir=dbt_project(settings.dbt_target), dbt_executable=dbt_executable()),
    }
