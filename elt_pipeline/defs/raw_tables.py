"""Raw table assets: Parquet store -> one warehouse partition, replaced atomically.

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
from elt_pipeline.defs.resources import WAREHOUSE_POOL, ParquetStoreResource, WarehouseResource
from elt_pipeline.lib.manifest import Manifest, TableManifest
from elt_pipeline.lib.pipeline_config import PipelineConfig
from elt_pipeline.lib.storage import InconsistentParquet, ManifestNotFound, ParquetStore
from elt_pipeline.lib.warehouse import LoadResult, Partition, SchemaDriftError, StagedTable, Warehouse

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
                SCHEMA_CHECK,
                asset=key,
                description="Warns when this load adds columns or lacks columns the table has.",
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
        context: AssetExecutionContext, parquet: ParquetStoreResource, warehouse: WarehouseResource
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        partition = partition_of(context.partition_key)
        store = parquet.open()
        manifest = _read_manifest(store, partition)
        target = warehouse.open()
        for key in sorted(context.selected_asset_keys):
            table = key.path[-1]
            listed = _listed_table(manifest, table)
            loaded = _replace(target, table, partition, _staged(store, partition, listed))
            rows = target.partition_row_count(table, partition)
            context.log.info(f"{table}: {rows:,} rows in {partition}")
            yield _materialization(key, target.qualified_name(table), manifest, listed, loaded, rows)
            yield from _check_results(key, listed, loaded, rows)

    return raw_tables


def _read_manifest(store: ParquetStore, partition: Partition) -> Manifest:
    try:
        return store.read_manifest(partition.source_db, partition.dump_date)
    except ManifestNotFound as error:
        raise Failure(str(error), allow_retries=False) from error


def _listed_table(manifest: Manifest, table: str) -> TableManifest:
    listed = manifest.tables.get(table)
    if listed is None:
        raise Failure(
            f"table {table!r} is not in {manifest.dump_uri} (manifest lists {sorted(manifest.tables)})",
            allow_retries=False,
        )
    return listed


def _staged(store: ParquetStore, partition: Partition, listed: TableManifest) -> StagedTable:
    """The files the manifest lists for one table, and their schema (read from the footers)."""
    uris = [store.file_uri(partition.source_db, partition.dump_date, relative) for relative in listed.files]
    try:
        return StagedTable(uris=uris, schema=store.read_schema(uris))
    except InconsistentParquet as error:
        raise Failure(str(error), allow_retries=False) from error


def _replace(target: Warehouse, table: str, partition: Partition, staged: StagedTable) -> LoadResult:
    try:
        return target.replace_partition(table, partition, staged)
    except SchemaDriftError as error:
        raise Failure(str(error), allow_retries=False) from error


def _materialization(
    key: AssetKey, table_name: str, manifest: Manifest, listed: TableManifest, loaded: LoadResult, rows: int
) -> MaterializeResult:
    dump_uri = manifest.dump_uri
    return MaterializeResult(
        asset_key=key,
        metadata={
            "dagster/row_count": rows,
            "dagster/table_name": table_name,
            "dagster/column_schema": TableSchema(columns=[TableColumn(name, kind) for name, kind in loaded.columns]),
            "dump_uri": MetadataValue.url(dump_uri) if "://" in dump_uri else MetadataValue.path(dump_uri),
            "dump_sha256": manifest.dump_sha256,
            "dump_bytes": manifest.dump_bytes,
            "staged_files": len(listed.files),
        },
    )


def _check_results(key: AssetKey, listed: TableManifest, loaded: LoadResult, rows: int) -> list[AssetCheckResult]:
    return [
        AssetCheckResult(
            asset_key=key,
            check_name=ROW_COUNT_CHECK,
            passed=rows == listed.row_count,
            metadata={"warehouse_rows": rows, "manifest_rows": listed.row_count},
        ),
        AssetCheckResult(
            asset_key=key,
            check_name=SCHEMA_CHECK,
            passed=not (loaded.added_columns or loaded.absent_columns),
            severity=AssetCheckSeverity.WARN,
            metadata={"added_columns": loaded.added_columns, "absent_columns": loaded.absent_columns},
        ),
    ]
