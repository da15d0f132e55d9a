"""The gcp warehouse: BigQuery raw tables, one atomic partition replace per load.

Every raw table lives in one dataset (`ELT_RAW_DATASET`), is time-partitioned by `_dump_date`
(DATE) and clustered by `_source_db`, so a (source_db, dump_date) partition is a cluster range
inside one daily partition. One dataset rather than one per source: the sources share a schema,
dbt's staging models union them anyway, and the per-source split is already physical
(clustering) and logical (`_source_db`); IAM and location stay in one place.

`replace_partition`:
1. maps the staged files' Arrow schema (read from their footers by the Parquet store) to
   BigQuery types (`bigquery_types.arrow_to_bigquery_field`; explicit schemas, never autodetect);
2. refuses incompatible drift (a column changes type) with `SchemaDriftError` before anything
   is written; adds new NULLABLE columns (additive drift) with `ALTER TABLE ADD COLUMN`;
3. loads the files into a per-load scratch table with a (free) load job, every table's before
   any partition changes;
4. runs ONE `MERGE` that deletes the partition's rows and inserts the scratch rows: a single
   DML statement, so atomic on BigQuery (as dbt-bigquery's `insert_overwrite`), and no
   partition decorator or script, so it runs on bqemulator too;
5. drops the scratch table (it also expires by itself after a day if the process dies).

Ordering guard (`LOADS_TABLE`, see `elt_pipeline.lib.warehouse`): before any table changes, one
conditional MERGE claims the partition's tables for the import being loaded, only where no
newer import is recorded; a load that cannot claim them raises `StaleImport`. Each replace
MERGE is then conditional on the claim still being this import's (its source is empty and its
delete matches nothing otherwise), so a load that a newer one overtook between its claim and its
MERGE changes nothing; on BigQuery two MERGEs of one partition also conflict and the loser is
re-run (`JOB_RETRY`), re-reading the claim. A multi-statement transaction would bracket claim
and replace too, but bqemulator runs no transactions; conditional DML runs on both.

Transient errors: every API call keeps the client's default retry (429, 5xx, rateLimitExceeded,
backendError; 10 minutes); query jobs (the MERGE, DELETE, DDL) are re-run by `JOB_RETRY`, the
client's job retry plus BigQuery's "Could not serialize access ... due to concurrent update",
which two sources' MERGEs into one date partition can hit. Re-running any of them is safe: each
statement is idempotent. Whatever still fails (e.g. a load job's backend error) fails the step,
and the asset's RetryPolicy runs the whole load again.

Credentials: Application Default Credentials / workload identity. `api_endpoint` (from
`ELT_BQ_API_ENDPOINT`, emulator only) switches the endpoint and anonymous credentials; that
is the only difference between CI and production.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from google.api_core.exceptions import Conflict, NotFound
from google.cloud import bigquery
from google.cloud.bigquery.retry import DEFAULT_JOB_RETRY

from elt_pipeline.lib.warehouse import (
    LOADS_TABLE,
    PARTITION_COLUMNS,
    ImportVersion,
    LoadResult,
    PartialReplace,
    Partition,
    StagedTable,
    StaleImport,
    absent_columns,
    check_compatible,
)
from elt_pipeline.lib.warehouse.bigquery_types import arrow_to_bigquery_field, standard_type

CONCURRENT_UPDATE = "due to concurrent update"  # in BigQuery's "Could not serialize access to ..." error


def is_concurrent_update(error: BaseException) -> bool:
    """A DML job that lost a race with another DML statement on the same table or partition."""
    return CONCURRENT_UPDATE in str(getattr(error, "message", "") or error)


def _retryable_job_error(error: BaseException) -> bool:
    return is_concurrent_update(error) or DEFAULT_JOB_RETRY._predicate(error)  # the client's own reasons


JOB_RETRY = DEFAULT_JOB_RETRY.with_predicate(_retryable_job_error)
SCRATCH_TABLE_TTL = dt.timedelta(days=1)
SCRATCH_TABLE_PREFIX = "_elt_load_"


def quote(identifier: str) -> str:
    return "`" + identifier.replace("\\", "\\\\").replace("`", "\\`") + "`"


def make_client(project: str, location: str, api_endpoint: str | None = None) -> bigquery.Client:
    """A BigQuery client on ADC, or on `api_endpoint` with anonymous credentials (emulator)."""
    if not api_endpoint:
        return bigquery.Client(project=project, location=location)
    from google.auth.credentials import AnonymousCredentials

    return bigquery.Client(
        project=project,
        location=location,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": api_endpoint},
    )


def _column_types(fields: list[bigquery.SchemaField]) -> dict[str, str]:
    return {field.name: standard_type(field.field_type) for field in fields}


@dataclass(frozen=True)
class _Prepared:
    """One table ready to replace its partition: its scratch table, loaded, and what it brings."""

    scratch_id: str
    columns: list[str]
    row_count: int
    added: list[str]
    absent: list[str]


class BigQueryWarehouse:
    """Raw tables in `project.dataset`, partitioned by `_dump_date`, clustered by `_source_db`.

    The dataset exists already (terraform creates it): a load never creates datasets, which
    would need `bigquery.datasets.create` on the project.
    """

    def __init__(
        self,
        project: str,
        dataset: str,
        location: str,
        client: bigquery.Client | None = None,
        *,
        api_endpoint: str | None = None,
    ):
        self.project = project
        self.dataset = dataset
        self.location = location
        self.client = client if client is not None else make_client(project, location, api_endpoint)

    def qualified_name(self, table: str) -> str:
        return f"{self.project}.{self.dataset}.{table}"

    def _sql_table(self, table: str) -> str:
        return quote(self.qualified_name(table))

    def _get_table(self, table: str) -> bigquery.Table | None:
        try:
            return self.client.get_table(self.qualified_name(table))
        except NotFound:
            return None

    def replace_partitions(
        self, partition: Partition, tables: Mapping[str, StagedTable | None], loading: ImportVersion | None = None
    ) -> dict[str, LoadResult]:
        """Check every table and load every scratch table first (no partition changes yet),
        claim the tables for `loading`, then one atomic MERGE per table. A failure after the
        first MERGE raises `PartialReplace` (BigQuery's multi-statement transactions would cover
        it, but bqemulator runs none; a retry of the load converges)."""
        for table, staged in tables.items():
            if staged is not None:
                self._check(table, staged)
        prepared: dict[str, _Prepared] = {}
        try:
            for table, staged in tables.items():
                if staged is not None:
                    prepared[table] = self._prepare(table, staged)
            if loading is not None:
                self._claim(partition, list(tables), loading)
            results: dict[str, LoadResult] = {}
            for table in tables:
                try:
                    results[table] = (
                        self._replace(table, partition, prepared[table], loading)
                        if table in prepared
                        else self._clear(table, partition, loading)
                    )
                except Exception as error:
                    if results:
                        raise PartialReplace(partition, results, table, error) from error
                    raise
        finally:
            for scratch in prepared.values():
                self.client.delete_table(scratch.scratch_id, not_found_ok=True)
        if loading is not None:
            self._raise_if_overtaken(partition, list(tables), loading)
        return results

    def _loads_table(self) -> str:
        """The control table of which import each partition holds, created on first use."""
        loads = bigquery.Table(
            self.qualified_name(LOADS_TABLE),
            schema=[
                bigquery.SchemaField("_source_db", "STRING", mode="REQUIRED"),
                bigquery.SchemaField("_dump_date", "DATE", mode="REQUIRED"),
                bigquery.SchemaField("table_name", "STRING", mode="REQUIRED"),
                bigquery.SchemaField("import_id", "STRING", mode="REQUIRED"),
                bigquery.SchemaField("publish_version", "INT64", mode="REQUIRED"),
            ],
        )
        loads.time_partitioning = bigquery.TimePartitioning(
            type_=bigquery.TimePartitioningType.DAY, field="_dump_date"
        )  # claims of different dates never conflict
        loads.clustering_fields = ["_source_db"]
        self.client.create_table(loads, exists_ok=True)
        return self._sql_table(LOADS_TABLE)

    def _claim(self, partition: Partition, tables: list[str], loading: ImportVersion) -> None:
        """Record `loading` for each table whose partition holds no newer import (one statement);
        `StaleImport`, with nothing changed, if any table holds a newer one."""
        self._query(
            f"MERGE {self._loads_table()} AS target"
            " USING (SELECT table_name FROM UNNEST(@tables) AS table_name) AS source"
            " ON target._source_db = @source_db AND target._dump_date = @dump_date"
            " AND target.table_name = source.table_name"
            " WHEN MATCHED AND target.publish_version <= @publish_version THEN"
            " UPDATE SET import_id = @import_id, publish_version = @publish_version"
            " WHEN NOT MATCHED THEN INSERT (_source_db, _dump_date, table_name, import_id, publish_version)"
            " VALUES (@source_db, @dump_date, source.table_name, @import_id, @publish_version)",
            self._import_parameters(partition, loading, tables),
        )
        self._raise_if_overtaken(partition, tables, loading)

    def _raise_if_overtaken(self, partition: Partition, tables: list[str], loading: ImportVersion) -> None:
        job = self._query(
            f"SELECT table_name, import_id, publish_version FROM {self._sql_table(LOADS_TABLE)}"
            " WHERE _source_db = @source_db AND _dump_date = @dump_date AND table_name IN UNNEST(@tables)"
            " AND NOT (import_id = @import_id AND publish_version = @publish_version)",
            self._import_parameters(partition, loading, tables),
        )
        held = {row.table_name: ImportVersion(row.import_id, row.publish_version) for row in job.result()}
        if held:
            raise StaleImport(partition, loading, held)

    def _held_by(self, table: str, loading: ImportVersion | None) -> tuple[str, list]:
        """SQL true while `table`'s partition is claimed by `loading` (always, without one)."""
        if loading is None:
            return "TRUE", []
        condition = (
            f"EXISTS (SELECT 1 FROM {self._sql_table(LOADS_TABLE)} AS claim"
            " WHERE claim._source_db = @source_db AND claim._dump_date = @dump_date"
            " AND claim.table_name = @table_name AND claim.import_id = @import_id"
            " AND claim.publish_version = @publish_version)"
        )
        return condition, [
            bigquery.ScalarQueryParameter("table_name", "STRING", table),
            bigquery.ScalarQueryParameter("import_id", "STRING", loading.import_id),
            bigquery.ScalarQueryParameter("publish_version", "INT64", loading.version),
        ]

    def _check(self, table: str, staged: StagedTable) -> tuple[list[bigquery.SchemaField], dict[str, str], list[str]]:
        fields = [arrow_to_bigquery_field(field) for field in staged.schema]
        incoming = _column_types(fields)
        existing_table = self._get_table(table)
        existing = _column_types(existing_table.schema) if existing_table is not None else {}
        return fields, existing, check_compatible(table, existing, incoming)

    def _clear(self, table: str, partition: Partition, loading: ImportVersion | None) -> LoadResult:
        """An optional table absent from the dump: its partition is emptied."""
        existing_table = self._get_table(table)
        if existing_table is None:
            return LoadResult(row_count=0, columns=[])
        held, parameters = self._held_by(table, loading)
        self._query(
            f"DELETE FROM {self._sql_table(table)}"
            f" WHERE _source_db = @source_db AND _dump_date = @dump_date AND {held}",
            self._partition_parameters(partition) + parameters,
        )
        return LoadResult(row_count=0, columns=list(_column_types(existing_table.schema).items()))

    def replace_partition(
        self, table: str, partition: Partition, staged: StagedTable, loading: ImportVersion | None = None
    ) -> LoadResult:
        return self.replace_partitions(partition, {table: staged}, loading)[table]

    def _prepare(self, table: str, staged: StagedTable) -> _Prepared:
        """Create the table or add the columns this load brings, and load the scratch table."""
        fields, existing, added = self._check(table, staged)
        incoming = _column_types(fields)
        if not existing:
            self._create_table(table, fields, incoming)
        elif added:
            self._add_columns(table, [field for field in fields if field.name in added])
        scratch_id, loaded_rows = self._load_scratch_table(table, staged, fields)
        row_count = loaded_rows if loaded_rows is not None else self._row_count(scratch_id)
        return _Prepared(scratch_id, list(incoming), row_count, added, absent_columns(existing, incoming))

    def _replace(
        self, table: str, partition: Partition, prepared: _Prepared, loading: ImportVersion | None
    ) -> LoadResult:
        self._merge_partition(table, prepared.scratch_id, prepared.columns, partition, loading)
        after = self.client.get_table(self.qualified_name(table))
        return LoadResult(
            row_count=prepared.row_count,
            columns=list(_column_types(after.schema).items()),
            added_columns=prepared.added,
            absent_columns=prepared.absent,
        )

    def _create_table(self, table: str, fields: list[bigquery.SchemaField], incoming: dict[str, str]) -> None:
        """Create the raw table on its first load; a concurrent first load may win the race."""
        target = bigquery.Table(
            self.qualified_name(table),
            schema=[
                *fields,
                bigquery.SchemaField("_source_db", "STRING", mode="REQUIRED"),
                bigquery.SchemaField("_dump_date", "DATE", mode="REQUIRED"),
            ],
        )
        target.time_partitioning = bigquery.TimePartitioning(
            type_=bigquery.TimePartitioningType.DAY, field="_dump_date"
        )
        target.clustering_fields = ["_source_db"]
        with contextlib.suppress(Conflict):
            self.client.create_table(target)
            return
        winner = _column_types(self.client.get_table(self.qualified_name(table)).schema)
        added = check_compatible(table, winner, incoming)  # the winner's types must match ours
        if added:
            self._add_columns(table, [field for field in fields if field.name in added])

    def _add_columns(self, table: str, new_fields: list[bigquery.SchemaField]) -> None:
        """Append NULLABLE columns with DDL (idempotent, safe against a concurrent adder).

        The schema patch afterwards is a no-op on BigQuery, where the DDL already updated the
        table's metadata; bqemulator applies the DDL to its storage but not to the metadata
        `tables.get` returns, and the patch brings the two back in line.
        """
        for field in new_fields:
            self._query(
                f"ALTER TABLE {self._sql_table(table)}"
                f" ADD COLUMN IF NOT EXISTS {quote(field.name)} {standard_type(field.field_type)}"
            )
        current = self.client.get_table(self.qualified_name(table))
        known = {field.name for field in current.schema}
        missing = [field for field in new_fields if field.name not in known]
        if missing:
            current.schema = [*current.schema, *missing]
            self.client.update_table(current, ["schema"])

    def _load_scratch_table(
        self, table: str, staged: StagedTable, fields: list[bigquery.SchemaField]
    ) -> tuple[str, int | None]:
        """Load the staged files into a throwaway table (load jobs are free); return its id and
        the rows the load job reports (None where a server does not report them)."""
        scratch_id = self.qualified_name(f"{SCRATCH_TABLE_PREFIX}{table}_{uuid.uuid4().hex[:12]}")
        scratch = bigquery.Table(scratch_id, schema=fields)
        scratch.expires = dt.datetime.now(dt.UTC) + SCRATCH_TABLE_TTL  # if this process dies
        self.client.create_table(scratch)
        try:
            load = self.client.load_table_from_uri(
                list(staged.uris),
                scratch_id,
                job_config=bigquery.LoadJobConfig(
                    source_format=bigquery.SourceFormat.PARQUET,
                    schema=fields,
                    write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
                    create_disposition=bigquery.CreateDisposition.CREATE_NEVER,
                ),
                location=self.location,
            )
            load.result()
        except BaseException:
            self.client.delete_table(scratch_id, not_found_ok=True)
            raise
        return scratch_id, None if load.output_rows is None else int(load.output_rows)

    def _merge_partition(
        self, table: str, scratch_id: str, columns: list[str], partition: Partition, loading: ImportVersion | None
    ) -> None:
        """ONE statement deletes the partition's rows and inserts the scratch table's: atomic.

        Its source is one marker row, which every row of the partition matches (deleted), plus
        the scratch rows (inserted); while `loading` does not hold the claim the source is
        empty and the statement changes nothing. No subquery in a WHEN clause, no script.
        """
        column_list = ", ".join(quote(name) for name in [*columns, *PARTITION_COLUMNS])
        held, parameters = self._held_by(table, loading)
        self._query(
            f"MERGE {self._sql_table(table)} AS target"
            " USING (SELECT incoming.*, @source_db AS _source_db, @dump_date AS _dump_date, markers._elt_marker"
            f" FROM (SELECT _elt_marker FROM UNNEST([TRUE, FALSE]) AS _elt_marker WHERE {held}) AS markers"
            f" LEFT JOIN (SELECT *, TRUE AS _elt_present FROM {quote(scratch_id)}) AS incoming"
            " ON NOT markers._elt_marker) AS source"
            " ON source._elt_marker AND target._source_db = @source_db AND target._dump_date = @dump_date"
            " WHEN MATCHED THEN DELETE"
            f" WHEN NOT MATCHED AND source._elt_present THEN INSERT ({column_list}) VALUES ({column_list})",
            self._partition_parameters(partition) + parameters,
        )

    def _row_count(self, table_id: str) -> int:
        job = self._query(f"SELECT COUNT(*) AS n FROM {quote(table_id)}")
        return int(next(iter(job.result())).n)

    def _query(self, sql: str, parameters: list | None = None) -> bigquery.QueryJob:
        job = self.client.query(
            sql,
            job_config=bigquery.QueryJobConfig(query_parameters=parameters or []),
            location=self.location,
            job_retry=JOB_RETRY,
        )
        job.result()
        return job

    @staticmethod
    def _partition_parameters(partition: Partition) -> list:
        return [
            bigquery.ScalarQueryParameter("source_db", "STRING", partition.source_db),
            bigquery.ScalarQueryParameter("dump_date", "DATE", dt.date.fromisoformat(partition.dump_date)),
        ]

    @classmethod
    def _import_parameters(cls, partition: Partition, loading: ImportVersion, tables: list[str]) -> list:
        return [
            *cls._partition_parameters(partition),
            bigquery.ArrayQueryParameter("tables", "STRING", tables),
            bigquery.ScalarQueryParameter("import_id", "STRING", loading.import_id),
            bigquery.ScalarQueryParameter("publish_version", "INT64", loading.version),
        ]

    def partition_row_count(self, table: str, partition: Partition) -> int:
        if self._get_table(table) is None:
            return 0
        job = self._query(
            f"SELECT COUNT(*) AS n FROM {self._sql_table(table)}"
            " WHERE _source_db = @source_db AND _dump_date = @dump_date",
            self._partition_parameters(partition),
        )
        return int(next(iter(job.result())).n)

    def previous_row_count(self, table: str, partition: Partition) -> int | None:
        if self._get_table(table) is None:
            return None
        job = self._query(
            f"SELECT _dump_date AS day, COUNT(*) AS n FROM {self._sql_table(table)}"
            " WHERE _source_db = @source_db AND _dump_date < @dump_date"
            " GROUP BY _dump_date ORDER BY _dump_date DESC LIMIT 1",
            self._partition_parameters(partition),
        )
        rows = list(job.result())
        return int(rows[0].n) if rows else None
