"""Raw table assets: Parquet store -> one warehouse partition, replaced atomically.

One asset per table of a source group (`raw/<table>` for the default group, `raw/<group>/<table>`
for another: `lib/raw_names.py`), a group's all computed by one subsettable step so a
partition's tables load in one process while any single table can be rematerialized.
"""

from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    AssetSpec,
    BackfillPolicy,
    Failure,
    MetadataValue,
    MultiPartitionsDefinition,
    TableColumn,
    TableColumnConstraints,
    TableSchema,
    multi_asset,
)

from elt_pipeline.defs.import_job import TRANSIENT_RETRY
from elt_pipeline.defs.partitions import partition_of
from elt_pipeline.defs.resources import WAREHOUSE_POOL, ParquetStoreResource, WarehouseResource
from elt_pipeline.lib.manifest import Manifest, TableManifest
from elt_pipeline.lib.pipeline_config import DEFAULT_GROUP, SourceGroup
from elt_pipeline.lib.raw_names import RAW_PREFIX, raw_key_path, raw_table_name
from elt_pipeline.lib.storage import InconsistentParquet, ManifestNotFound, ParquetStore
from elt_pipeline.lib.warehouse import (
    PARTITION_COLUMNS,
    ImportVersion,
    LoadResult,
    PartialReplace,
    Partition,
    SchemaDriftError,
    StagedTable,
    StaleImport,
    Warehouse,
)
from elt_pipeline.settings import Settings

ROW_COUNT_CHECK = "row_count_matches_manifest"
SCHEMA_CHECK = "schema_unchanged"
CONSISTENT_CHECK = "partition_consistent"
NOT_EMPTIED_CHECK = "not_emptied"
COLUMNS_LISTED_CHECK = "columns_listed"
# Blocking checks whose failure holds the dump date back from dbt (`loads_and_dbt`).
DBT_BLOCKING_CHECKS = (ROW_COUNT_CHECK, CONSISTENT_CHECK, NOT_EMPTIED_CHECK)
PARTITION_METADATA = "partition"  # of a check result: a range run combines its partitions' results
HELD_BACK_METADATA = "dbt_held_back_by"  # the blocking checks that failed ("" when none)
INCONSISTENT_NOTE = (
    "a later table of this partition failed to load: the partition mixes two dumps; dbt does not "
    "build its date until a retry of the load replaces every table"
)


def raw_asset_key(table: str, group: str = DEFAULT_GROUP) -> AssetKey:
    return AssetKey(raw_key_path(group, table))


def raw_asset_group(group: str) -> str:
    """The Dagster asset group of a source group's raw tables: `raw`, or `raw_<group>`."""
    return RAW_PREFIX if group == DEFAULT_GROUP else f"{RAW_PREFIX}_{group}"


def _specs(group: str, members: SourceGroup, settings: Settings) -> tuple[list[AssetSpec], list[AssetCheckSpec]]:
    specs, checks = [], []
    for table in members.tables:
        key = raw_asset_key(table, group)
        specs.append(
            AssetSpec(
                key,
                group_name=raw_asset_group(group),
                kinds={settings.dbt_target},  # the warehouse: duckdb or bigquery
                description=f"`{table}` of {', '.join(members.source_names)}, a partition per (dump_date, source_db).",
                metadata={
                    "dagster/table_name": settings.qualified_table(settings.raw_dataset, raw_table_name(group, table))
                },
                owners=members.table_owners(table),
                tags=members.table_tags(table),
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
                CONSISTENT_CHECK,
                asset=key,
                blocking=True,
                description="Every table of this (dump_date, source_db) partition holds the same dump.",
            )
        )
        checks.append(
            AssetCheckSpec(
                NOT_EMPTIED_CHECK,
                asset=key,
                blocking=True,
                description=(
                    "Fails when the table had rows for this source's previous dump and has none now "
                    "(a --no-data or --where dump); dbt does not build the date."
                ),
            )
        )
        checks.append(
            AssetCheckSpec(
                SCHEMA_CHECK,
                asset=key,
                description="Warns when this load adds columns or lacks columns the table has.",
            )
        )
        checks.append(
            AssetCheckSpec(
                COLUMNS_LISTED_CHECK,
                asset=key,
                description=(
                    "Warns when the dump holds a column the table's column policy does not list, "
                    "and says what its `new_columns` policy did with it (excluded, hashed or in clear)."
                ),
            )
        )
    return specs, checks


def build_raw_tables(group: str, members: SourceGroup, settings: Settings, partitions_def: MultiPartitionsDefinition):
    """The raw tables of one source group; `partitions_def` lists the group's sources."""
    specs, checks = _specs(group, members, settings)

    @multi_asset(
        name="raw_tables" if group == DEFAULT_GROUP else f"raw_{group}_tables",
        specs=specs,
        check_specs=checks,
        partitions_def=partitions_def,
        can_subset=True,
        pool=WAREHOUSE_POOL,
        retry_policy=TRANSIENT_RETRY,
        # A backfill (or the follow-up sensor's catch-up) loads its partitions in one run: one
        # process start for many small partitions, each still replaced and materialized alone.
        backfill_policy=BackfillPolicy.single_run(),
    )
    def raw_tables(
        context: AssetExecutionContext, parquet: ParquetStoreResource, warehouse: WarehouseResource
    ) -> Iterator[AssetMaterialization | AssetCheckResult]:
        """Load each partition of the run (one, or a range): validate every selected table, then
        replace the partition of all of them; a partial replace is reported inconsistent. A
        failed partition leaves the others loaded; the run then fails naming it."""
        store, target = parquet.open(), warehouse.open()
        tables = {raw_table_name(group, key.path[-1]): key for key in sorted(context.selected_asset_keys)}
        checks: dict[tuple[AssetKey, str], list[AssetCheckResult]] = defaultdict(list)
        failed: dict[str, Exception] = {}
        for partition_key in context.partition_keys:
            try:
                for event in _load_partition(context, store, target, members, tables, partition_key):
                    if isinstance(event, AssetCheckResult):
                        checks[event.asset_key, event.check_name].append(event)
                    else:
                        yield event
            except Exception as error:  # the next partitions still load; the run fails at the end
                failed[partition_key] = error
                if len(context.partition_keys) > 1:
                    context.log.error(f"{partition_key}: not loaded: {error}")
        for results in checks.values():  # a check has one result per run
            yield results[0] if len(results) == 1 else _combined(results)
        if failed:
            raise _run_failure(failed)

    return raw_tables


def _load_partition(
    context: AssetExecutionContext,
    store: ParquetStore,
    target: Warehouse,
    members: SourceGroup,
    tables: dict[str, AssetKey],
    partition_key: str,
) -> Iterator[AssetMaterialization | AssetCheckResult]:
    """Replace one partition of `tables` (warehouse name -> asset key) all at once; its
    materializations, then its check results (each naming its partition)."""
    partition = partition_of(partition_key)
    manifest = _read_manifest(store, partition)
    listed = {name: _listed_table(members, manifest, key.path[-1]) for name, key in tables.items()}
    staged = {name: _staged(store, partition, entry) for name, entry in listed.items()}
    previous = {name: target.previous_row_count(name, partition) for name in tables}

    def reported(name: str, result: LoadResult, consistent: bool) -> Iterator[AssetMaterialization | AssetCheckResult]:
        yield from _reported(
            target, partition_key, manifest, listed[name], result, previous[name], name, tables[name], consistent
        )

    try:
        loaded = target.replace_partitions(partition, staged, loading=_import_version(manifest))
    except (SchemaDriftError, StaleImport) as error:
        raise Failure(str(error), allow_retries=False) from error
    except PartialReplace as partial:
        context.log.error(str(partial))
        for name, result in partial.replaced.items():
            yield from reported(name, result, False)
        raise
    for name, result in loaded.items():
        yield from reported(name, result, True)


def _combined(results: list[AssetCheckResult]) -> AssetCheckResult:
    """One result of a check over the partitions of a range run: passed when every partition
    passed; its metadata names the partitions that did not, with their figures."""
    first = results[0]
    failing = {
        result.metadata[PARTITION_METADATA].value: {
            name: value.value for name, value in result.metadata.items() if name != PARTITION_METADATA
        }
        for result in results
        if not result.passed
    }
    return AssetCheckResult(
        asset_key=first.asset_key,
        check_name=first.check_name,
        passed=not failing,
        severity=first.severity,
        description=(
            f"failed for {len(failing)} of {len(results)} partitions: {', '.join(sorted(failing))}"
            if failing
            else f"passed for each of the run's {len(results)} partitions"
        ),
        metadata={"partitions": len(results), "failed_partitions": MetadataValue.json(failing)},
    )


def _run_failure(failed: dict[str, Exception]) -> Exception:
    """The error that ends a run whose partitions failed: a single one as it was raised (so a
    transient error is retried); several in one Failure, retried if any of them may be."""
    if len(failed) == 1:
        return next(iter(failed.values()))
    retryable = any(not isinstance(error, Failure) or error.allow_retries for error in failed.values())
    lines = "\n".join(f"- {key}: {error}" for key, error in sorted(failed.items()))
    return Failure(
        f"{len(failed)} partitions not loaded (the run's other partitions were):\n{lines}",
        metadata={"failed_partitions": ", ".join(sorted(failed))},
        allow_retries=retryable,
    )


def _reported(
    target: Warehouse,
    partition_key: str,
    manifest: Manifest,
    listed: TableManifest | None,
    loaded: LoadResult,
    previous_rows: int | None,
    table: str,
    key: AssetKey,
    consistent: bool,
) -> Iterator[AssetMaterialization | AssetCheckResult]:
    """The materialization of one replaced warehouse `table` (asset `key`) and its checks."""
    rows = target.partition_row_count(table, partition_of(partition_key))
    checks = _check_results(key, partition_key, listed, loaded, rows, previous_rows, consistent)
    failed = [check.check_name for check in checks if not check.passed and check.check_name in DBT_BLOCKING_CHECKS]
    yield _materialization(key, partition_key, target.qualified_name(table), manifest, listed, loaded, rows, failed)
    yield from checks


def _read_manifest(store: ParquetStore, partition: Partition) -> Manifest:
    try:
        return store.read_manifest(partition.source_db, partition.dump_date)
    except ManifestNotFound as error:
        raise Failure(str(error), allow_retries=False) from error


def _import_version(manifest: Manifest) -> ImportVersion:
    """Which import the manifest comes from, in staging's publish order (the warehouse's guard
    against an older load committing after a newer one). Manifests published before the
    stamp existed have version 0 and are named by their dump's digest."""
    return ImportVersion(manifest.import_id or manifest.dump_sha256[:12], manifest.publish_version)


def _listed_table(members: SourceGroup, manifest: Manifest, table: str) -> TableManifest | None:
    """The table's manifest entry; None for an optional table the dump lacks."""
    listed = manifest.tables.get(table)
    if listed is None and not members.tables[table].optional:
        raise Failure(
            f"table {table!r} is not in {manifest.dump_uri} (manifest lists {sorted(manifest.tables)}); "
            "no table of the partition was changed",
            allow_retries=False,
        )
    return listed


def _staged(store: ParquetStore, partition: Partition, listed: TableManifest | None) -> StagedTable | None:
    """The files the manifest lists for one table, and their schema (read from every footer)."""
    if listed is None:
        return None
    uris = [store.file_uri(partition.source_db, partition.dump_date, relative) for relative in listed.files]
    try:
        return StagedTable(uris=uris, schema=store.read_schema(uris))
    except (InconsistentParquet, OSError) as error:
        raise Failure(
            f"{partition}: staged files unreadable, no table of the partition was changed: {error}",
            allow_retries=False,
        ) from error


def _materialization(
    key: AssetKey,
    partition_key: str,
    table_name: str,
    manifest: Manifest,
    listed: TableManifest | None,
    loaded: LoadResult,
    rows: int,
    failed_checks: list[str],
) -> AssetMaterialization:
    dump_uri = manifest.dump_uri
    return AssetMaterialization(
        asset_key=key,
        partition=partition_key,
        metadata={
            "dagster/row_count": rows,
            "dagster/table_name": table_name,
            "dagster/column_schema": _column_schema(loaded, listed),
            "dump_uri": MetadataValue.url(dump_uri) if "://" in dump_uri else MetadataValue.path(dump_uri),
            "dump_sha256": manifest.dump_sha256,
            "dump_bytes": manifest.dump_bytes,
            "staged_files": len(listed.files) if listed else 0,
            "absent_from_dump": listed is None,  # an optional table the dump lacks: partition emptied
            HELD_BACK_METADATA: ", ".join(failed_checks),
        },
    )


def _column_schema(loaded: LoadResult, listed: TableManifest | None) -> TableSchema:
    """The warehouse table's columns (its own type names), described from the manifest: the
    MySQL type each was converted from, and whether it holds a salted hash."""
    sources = {column.name: column for column in listed.columns} if listed else {}
    columns = []
    for name, kind in loaded.columns:
        source = sources.get(name)
        if name in PARTITION_COLUMNS:
            description = "partition column added by the load"
        elif source is None:
            description = "not in this dump"
        else:
            description = f"MySQL {source.mysql_type}" + (", salted SHA-256 of the value" if source.hashed else "")
        constraints = TableColumnConstraints(nullable=source.nullable) if source else None
        columns.append(TableColumn(name, kind, description=description, constraints=constraints))
    return TableSchema(columns=columns)


def _check_results(
    key: AssetKey,
    partition_key: str,
    listed: TableManifest | None,
    loaded: LoadResult,
    rows: int,
    previous_rows: int | None,
    consistent: bool,
) -> list[AssetCheckResult]:
    manifest_rows = listed.row_count if listed else 0
    emptied = listed is not None and rows == 0 and bool(previous_rows)

    def about(**figures: Any) -> dict[str, Any]:
        return {PARTITION_METADATA: partition_key, **figures}

    return [
        AssetCheckResult(
            asset_key=key,
            check_name=ROW_COUNT_CHECK,
            passed=rows == manifest_rows,
            metadata=about(warehouse_rows=rows, manifest_rows=manifest_rows),
        ),
        AssetCheckResult(
            asset_key=key,
            check_name=CONSISTENT_CHECK,
            passed=consistent,
            metadata=about(note="every table of the partition holds this dump" if consistent else INCONSISTENT_NOTE),
        ),
        AssetCheckResult(
            asset_key=key,
            check_name=NOT_EMPTIED_CHECK,
            passed=not emptied,
            metadata=about(warehouse_rows=rows, previous_dump_rows=previous_rows if previous_rows is not None else -1),
        ),
        AssetCheckResult(
            asset_key=key,
            check_name=SCHEMA_CHECK,
            passed=not (loaded.added_columns or loaded.absent_columns),
            severity=AssetCheckSeverity.WARN,
            metadata=about(added_columns=loaded.added_columns, absent_columns=loaded.absent_columns),
        ),
        _columns_listed(key, listed, about),
    ]


def _columns_listed(
    key: AssetKey, listed: TableManifest | None, about: Callable[..., dict[str, Any]]
) -> AssetCheckResult:
    """Warn about columns the column policy does not list, naming what the import did with each."""
    unlisted = listed.unlisted_columns if listed else {}
    return AssetCheckResult(
        asset_key=key,
        check_name=COLUMNS_LISTED_CHECK,
        passed=not unlisted,
        severity=AssetCheckSeverity.WARN,
        description=(
            f"columns not listed in the pipeline config: {listed.describe_unlisted()}; "
            "list each in the table's column policy (include, hash or exclude)"
            if unlisted
            else "every column of the dump is listed in the pipeline config (or the table has no column policy)"
        ),
        metadata=about(unlisted_columns=MetadataValue.json(unlisted)),
    )
