"""Raw table assets: staging Parquet -> one warehouse partition, replaced atomically.

One asset per configured table (`raw/<table>`), all computed by one subsettable step so a
partition's tables load in one process while any single table can be rematerialized.
"""

from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    Failure,
    MaterializeResult,
    MetadataValue,
    MultiPartitionsDefinition,
    TableColumn,
    TableSchema,
    multi_asset,
)

from elt_pipeline.defs.partitions import partition_of
from elt_pipeline.defs.resources import WAREHOUSE_POOL, StagingResource, WarehouseResource
from elt_pipeline.lib.pipeline_config import PipelineConfig
from elt_pipeline.lib.staging import ManifestNotFound
from elt_pipeline.lib.warehouse import SchemaDriftError

RAW_PREFIX = "raw"
ROW_COUNT_CHECK = "row_count_matches_manifest"
SCHEMA_CHECK = "schema_unchanged"


def raw_asset_key(table: str) -> AssetKey:
    return AssetKey([RAW_PREFIX, table])


def _specs(config: PipelineConfig) -> tuple[list[AssetSpec], list[AssetCheckSpec]]:
    specs, checks = [], []
    for table in config.tables:
        key = raw_asset_key(table)
        specs.append(
            AssetSpec(
                key,
                group_name=RAW_PREFIX,
                kinds={"parquet"},
                description=f"`{table}` of every source database, one partition per (dump_date, source_db).",
                skippable=True,
            )
        )
        checks.append(
            AssetCheckSpec(
                ROW_COUNT_CHECK,
                asset=key,
                blocking=True,
                description="Rows in the warehouse partition == rows the manifest recorded.",
            )
        )
        checks.append(
            AssetCheckSpec(
                SCHEMA_CHECK, asset=key, description="Warns when this load adds columns or lacks columns the table has."
            )
        )
    return specs, checks


def build_raw_tables(config: PipelineConfig, partitions_def: MultiPartitionsDefinition):
    specs, checks = _specs(config)

    @multi_asset(
        name="raw_tables",
        specs=specs,
        check_specs=checks,
        partitions_def=partitions_def,
        can_subset=True,
        pool=WAREHOUSE_POOL,
    )
    def raw_tables(
        context: AssetExecutionContext, staging: StagingResource, warehouse: WarehouseResource
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        partition = partition_of(context.partition_key)
        store = staging.open()
        try:
            manifest = store.read_manifest(partition.source_db, partition.dump_date)
        except ManifestNotFound as error:
            raise Failure(str(error), allow_retries=False) from error
        target = warehouse.open()
        for key in sorted(context.selected_asset_keys):
            table = key.path[-1]
            staged = manifest.tables.get(table)
            if staged is None:
                raise Failure(
                    f"table {table!r} is not in {manifest.dump_uri} (manifest lists {sorted(manifest.tables)})",
                    allow_retries=False,
                )
            uris = [store.file_uri(partition.source_db, partition.dump_date, f) for f in staged.files]
            try:
                loaded = target.replace_partition(table, partition, uris)
            except SchemaDriftError as error:
                raise Failure(str(error), allow_retries=False) from error
            warehouse_rows = target.partition_row_count(table, partition)
            context.log.info(f"{table}: {warehouse_rows:,} rows in {partition}")
            yield MaterializeResult(
                asset_key=key,
                metadata={
                    "dagster/row_count": warehouse_rows,
                    "dagster/table_name": f"{warehouse.dataset}.{table}",
                    "dagster/column_schema": TableSchema(
                        columns=[TableColumn(name, kind) for name, kind in loaded.columns]
                    ),
                    "dump_uri": MetadataValue.url(manifest.dump_uri)
                    if "://" in manifest.dump_uri
                    else MetadataValue.path(manifest.dump_uri),
                    "dump_sha256": manifest.dump_sha256,
                    "dump_bytes": manifest.dump_bytes,
                    "staged_files": len(uris),
                },
            )
            yield AssetCheckResult(
                asset_key=key,
                check_name=ROW_COUNT_CHECK,
                passed=warehouse_rows == staged.row_count,
                metadata={"warehouse_rows": warehouse_rows, "manifest_rows": staged.row_count},
            )
            yield AssetCheckResult(
                asset_key=key,
                check_name=SCHEMA_CHECK,
                passed=not (loaded.added_columns or loaded.absent_columns),
                severity=AssetCheckSeverity.WARN,
                metadata={"added_columns": loaded.added_columns, "absent_columns": loaded.absent_columns},
            )

    return raw_tables
