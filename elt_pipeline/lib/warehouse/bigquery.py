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
3. loads the files into a per-load scratch table with a (free) load job;
4. runs ONE `MERGE ... ON FALSE` that deletes the partition's rows and inserts the scratch rows:
   a single DML statement, so atomic on BigQuery (the same statement dbt-bigquery uses for
   `insert_overwrite`), and no partition decorator or script, so it runs on bqemulator too;
5. drops the scratch table (it also expires by itself after a day if the process dies).

Credentials: Application Default Credentials / workload identity. `api_endpoint` (from
`ELT_BQ_API_ENDPOINT`, emulator only) switches the endpoint and anonymous credentials; that
is the only difference between CI and production.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Mapping

from google.api_core.exceptions import Conflict, NotFound
from google.cloud import bigquery

from elt_pipeline.lib.warehouse import (
    PARTITION_COLUMNS,
    LoadResult,
    PartialReplace,
    Partition,
    StagedTable,
    absent_columns,
    check_compatible,
)
from elt_pipeline.lib.warehouse.bigquery_types import arrow_to_bigquery_field, standard_type

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
        self, partition: Partition, tables: Mapping[str, StagedTable | None]
    ) -> dict[str, LoadResult]:
        """Check every table first; then one atomic MERGE per table. A failure after the first
        raises `PartialReplace` (BigQuery's multi-statement transactions would cover it, but
        bqemulator runs none; a retry of the load converges instead)."""
        for table, staged in tables.items():
            if staged is not None:
                self._check(table, staged)
        results: dict[str, LoadResult] = {}
        for table, staged in tables.items():
            try:
                results[table] = (
                    self._clear(table, partition)
                    if staged is None
                    else self.replace_partition(table, partition, staged)
                )
            except Exception as error:
                if results:
                    raise PartialReplace(partition, results, table, error) from error
                raise
        return results

    def _check(self, table: str, staged: StagedTable) -> tuple[list[bigquery.SchemaField], dict[str, str], list[str]]:
        fields = [arrow_to_bigquery_field(field) for field in staged.schema]
        incoming = _column_types(fields)
        existing_table = self._get_table(table)
        existing = _column_types(existing_table.schema) if existing_table is not None else {}
        return fields, existing, check_compatible(table, existing, incoming)

    def _clear(self, table: str, partition: Partition) -> LoadResult:
        """An optional table absent from the dump: its partition is emptied."""
        existing_table = self._get_table(table)
        if existing_table is None:
            return LoadResult(row_count=0, columns=[])
        self._query(
            f"DELETE FROM {self._sql_table(table)} WHERE _source_db = @source_db AND _dump_date = @dump_date",
            self._partition_parameters(partition),
        )
        return LoadResult(row_count=0, columns=list(_column_types(existing_table.schema).items()))

    def replace_partition(self, table: str, partition: Partition, staged: StagedTable) -> LoadResult:
        fields, existing, added = self._check(table, staged)
        incoming = _column_types(fields)
        if not existing:
            self._create_table(table, fields, incoming)
        elif added:
            self._add_columns(table, [field for field in fields if field.name in added])

        scratch, loaded_rows = self._load_scratch_table(table, staged, fields)
        try:
            self._merge_partition(table, scratch, list(incoming), partition)
            row_count = loaded_rows if loaded_rows is not None else self._row_count(scratch)
        finally:
            self.client.delete_table(scratch, not_found_ok=True)

        after = self.client.get_table(self.qualified_name(table))
        return LoadResult(
            row_count=row_count,
            columns=list(_column_types(after.schema).items()),
            added_columns=added,
            absent_columns=absent_columns(existing, incoming),
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

    def _merge_partition(self, table: str, scratch_id: str, columns: list[str], partition: Partition) -> None:
        """ONE statement deletes the partition's rows and inserts the scratch table's: atomic."""
        column_list = ", ".join(quote(name) for name in [*columns, *PARTITION_COLUMNS])
        self._query(
            f"MERGE {self._sql_table(table)} AS target"
            f" USING (SELECT *, @source_db AS _source_db, @dump_date AS _dump_date FROM {quote(scratch_id)})"
            " AS source ON FALSE"
            " WHEN NOT MATCHED BY SOURCE AND target._source_db = @source_db"
            " AND target._dump_date = @dump_date THEN DELETE"
            f" WHEN NOT MATCHED THEN INSERT ({column_list}) VALUES ({column_list})",
            self._partition_parameters(partition),
        )

    def _row_count(self, table_id: str) -> int:
        job = self._query(f"SELECT COUNT(*) AS n FROM {quote(table_id)}")
        return int(next(iter(job.result())).n)

    def _query(self, sql: str, parameters: list | None = None) -> bigquery.QueryJob:
        job = self.client.query(
            sql, job_config=bigquery.QueryJobConfig(query_parameters=parameters or []), location=self.location
        )
        job.result()
        return job

    @staticmethod
    def _partition_parameters(partition: Partition) -> list:
        return [
            bigquery.ScalarQueryParameter("source_db", "STRING", partition.source_db),
            bigquery.ScalarQueryParameter("dump_date", "DATE", dt.date.fromisoformat(partition.dump_date)),
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
