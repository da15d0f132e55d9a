"""The gcp warehouse: BigQuery raw tables, one atomic partition replace per load.

Every raw table lives in one dataset (`ELT_RAW_DATASET`), is time-partitioned by `_dump_date`
(DATE) and clustered by `_source_db`, so a (source_db, dump_date) partition is a cluster range
inside one daily partition. One dataset rather than one per source: the sources share a schema,
dbt's staging models union them anyway, and the per-source split is already physical
(clustering) and logical (`_source_db`); IAM and location stay in one place.

`replace_partition`:
1. reads the Arrow schema from the Parquet footers the manifest lists and maps it to BigQuery
   types (`arrow_to_bigquery_field`; explicit schemas, never autodetect);
2. refuses incompatible drift (a column changes type) with `SchemaDriftError` before anything
   is written; adds new NULLABLE columns (additive drift) with `ALTER TABLE ADD COLUMN`;
3. loads the files into a per-load staging table with a (free) load job;
4. runs ONE `MERGE ... ON FALSE` that deletes the partition's rows and inserts the staged rows:
   a single DML statement, so atomic on BigQuery (the same statement dbt-bigquery uses for
   `insert_overwrite`), and no partition decorator or script, so it runs on bqemulator too;
5. drops the staging table (it also expires by itself after a day if the process dies).

Credentials: Application Default Credentials / workload identity. `api_endpoint` (from
`ELT_BQ_API_ENDPOINT`, emulator only) switches the endpoint and anonymous credentials; that
is the only difference between CI and production.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.parquet as pq
from google.api_core.exceptions import Conflict, NotFound
from google.cloud import bigquery

from elt_pipeline.lib.warehouse import PARTITION_COLUMNS, LoadResult, Partition, SchemaDriftError, describe_drift

STAGING_TABLE_TTL = dt.timedelta(days=1)
STAGING_TABLE_PREFIX = "_elt_load_"

# BigQuery NUMERIC: 29 integer digits, 9 fractional; BIGNUMERIC: 38 integer-ish, 38 fractional.
NUMERIC_MAX_SCALE, NUMERIC_MAX_INTEGER_DIGITS = 9, 29
BIGNUMERIC_MAX_SCALE, BIGNUMERIC_MAX_INTEGER_DIGITS = 38, 38

# The API reports legacy names for some types; compare on standard SQL names.
_STANDARD_TYPE = {
    "INTEGER": "INT64",
    "FLOAT": "FLOAT64",
    "BOOLEAN": "BOOL",
    "BIGDECIMAL": "BIGNUMERIC",
    "DECIMAL": "NUMERIC",
    "RECORD": "STRUCT",
}


def standard_type(field_type: str) -> str:
    return _STANDARD_TYPE.get(field_type.upper(), field_type.upper())


class UnsupportedArrowType(TypeError):
    """A Parquet column has a type no BigQuery column can hold faithfully."""


def _bigquery_type(name: str, arrow_type: pa.DataType) -> str:
    t = pa.types
    if t.is_dictionary(arrow_type):
        return _bigquery_type(name, arrow_type.value_type)
    if t.is_boolean(arrow_type):
        return "BOOL"
    if t.is_uint64(arrow_type):
        return "NUMERIC"  # 0..18446744073709551615 does not fit INT64
    if t.is_integer(arrow_type):
        return "INT64"
    if t.is_floating(arrow_type):
        return "FLOAT64"
    if t.is_decimal(arrow_type):
        precision, scale = arrow_type.precision, arrow_type.scale
        integer_digits = precision - scale
        if t.is_decimal256(arrow_type):
            fits_numeric = False  # decimal256 always -> BIGNUMERIC
        else:
            fits_numeric = 0 <= scale <= NUMERIC_MAX_SCALE and integer_digits <= NUMERIC_MAX_INTEGER_DIGITS
        if fits_numeric:
            return "NUMERIC"
        if 0 <= scale <= BIGNUMERIC_MAX_SCALE and integer_digits <= BIGNUMERIC_MAX_INTEGER_DIGITS:
            return "BIGNUMERIC"
        raise UnsupportedArrowType(f"{name}: {arrow_type} exceeds BIGNUMERIC (38 integer, 38 fractional digits)")
    if t.is_string(arrow_type) or t.is_large_string(arrow_type) or t.is_string_view(arrow_type):
        return "STRING"
    if (
        t.is_binary(arrow_type)
        or t.is_large_binary(arrow_type)
        or t.is_fixed_size_binary(arrow_type)
        or t.is_binary_view(arrow_type)
    ):
        return "BYTES"
    if t.is_date(arrow_type):
        return "DATE"
    if t.is_timestamp(arrow_type):
        # Wall-clock values (MySQL DATETIME) have no zone -> DATETIME; instants -> TIMESTAMP.
        return "TIMESTAMP" if arrow_type.tz else "DATETIME"
    if t.is_time(arrow_type):
        return "TIME"
    raise UnsupportedArrowType(f"{name}: no faithful BigQuery type for Arrow {arrow_type}")


def arrow_to_bigquery_field(field: pa.Field) -> bigquery.SchemaField:
    """The BigQuery column for a Parquet/Arrow column (always NULLABLE, so columns can be added)."""
    return bigquery.SchemaField(field.name, _bigquery_type(field.name, field.type), mode="NULLABLE")


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


def read_arrow_schema(file_uris: Iterable[str], storage_client=None) -> pa.Schema:
    """The Arrow schema shared by Parquet files (gs:// or local), read from their footers only."""
    schemas = []
    for uri in file_uris:
        if uri.startswith("gs://"):
            if storage_client is None:
                from google.cloud import storage

                storage_client = storage.Client()
            bucket, _, name = uri[len("gs://") :].partition("/")
            with storage_client.bucket(bucket).blob(name).open("rb", chunk_size=256 * 1024) as handle:
                schemas.append(pq.read_schema(handle))
        else:
            schemas.append(pq.read_schema(uri))
    if not schemas:
        raise ValueError("no files to load")
    first = schemas[0].remove_metadata()
    for uri, schema in zip(file_uris, schemas, strict=False):
        if not schema.remove_metadata().equals(first):
            raise SchemaDriftError(f"{uri}: schema differs from the other files of this load")
    return first


class BigQueryWarehouse:
    """Raw tables in `project.dataset`, partitioned by `_dump_date`, clustered by `_source_db`."""

    def __init__(
        self,
        project: str,
        dataset: str,
        location: str,
        client: bigquery.Client | None = None,
        *,
        api_endpoint: str | None = None,
        storage_client=None,
    ):
        self.project = project
        self.dataset = dataset
        self.location = location
        self.client = client if client is not None else make_client(project, location, api_endpoint)
        self.storage_client = storage_client

    def _table_id(self, table: str) -> str:
        return f"{self.project}.{self.dataset}.{table}"

    def _sql_table(self, table: str) -> str:
        return quote(self._table_id(table))

    def _get_table(self, table: str) -> bigquery.Table | None:
        try:
            return self.client.get_table(self._table_id(table))
        except NotFound:
            return None

    def _ensure_dataset(self) -> None:
        dataset = bigquery.Dataset(f"{self.project}.{self.dataset}")
        dataset.location = self.location
        self.client.create_dataset(dataset, exists_ok=True)

    def _create_table(self, table: str, fields: list[bigquery.SchemaField]) -> None:
        target = bigquery.Table(
            self._table_id(table),
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
        # Conflict: created by a concurrent load of another partition; drift is checked again after.
        with contextlib.suppress(Conflict):
            self.client.create_table(target)

    def _query(self, sql: str, parameters: list | None = None) -> bigquery.QueryJob:
        job = self.client.query(
            sql, job_config=bigquery.QueryJobConfig(query_parameters=parameters or []), location=self.location
        )
        job.result()
        return job

    def replace_partition(self, table: str, partition: Partition, file_uris: list[str]) -> LoadResult:
        arrow_schema = read_arrow_schema(file_uris, self.storage_client)
        fields = [arrow_to_bigquery_field(field) for field in arrow_schema]
        incoming = {field.name: standard_type(field.field_type) for field in fields}
        reserved = set(PARTITION_COLUMNS) & set(incoming)
        if reserved:
            raise SchemaDriftError(f"{table}: source columns clash with {sorted(reserved)}")

        existing_table = self._get_table(table)
        existing = (
            {field.name: standard_type(field.field_type) for field in existing_table.schema}
            if existing_table is not None
            else {}
        )
        drift = describe_drift(table, existing, incoming)
        if drift:
            raise SchemaDriftError("incompatible schema change, nothing loaded: " + "; ".join(drift))

        self._ensure_dataset()
        columns_now = existing
        if existing_table is None:
            self._create_table(table, fields)
            created = self.client.get_table(self._table_id(table))
            columns_now = {field.name: standard_type(field.field_type) for field in created.schema}
            drift = describe_drift(table, columns_now, incoming)
            if drift:  # a concurrent first load created it with other types
                raise SchemaDriftError("incompatible schema change, nothing loaded: " + "; ".join(drift))
        added = [name for name in incoming if name not in columns_now]
        if added:
            self._add_columns(table, [field for field in fields if field.name in added])

        staging_id = self._table_id(f"{STAGING_TABLE_PREFIX}{table}_{uuid.uuid4().hex[:12]}")
        staging = bigquery.Table(staging_id, schema=fields)
        staging.expires = dt.datetime.now(dt.UTC) + STAGING_TABLE_TTL
        self.client.create_table(staging)
        try:
            load = self.client.load_table_from_uri(
                list(file_uris),
                staging_id,
                job_config=bigquery.LoadJobConfig(
                    source_format=bigquery.SourceFormat.PARQUET,
                    schema=fields,
                    write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
                    create_disposition=bigquery.CreateDisposition.CREATE_NEVER,
                ),
                location=self.location,
            )
            load.result()
            columns = ", ".join(quote(name) for name in [*incoming, *PARTITION_COLUMNS])
            self._query(
                f"MERGE {self._sql_table(table)} AS target"
                f" USING (SELECT *, @source_db AS _source_db, @dump_date AS _dump_date FROM {quote(staging_id)})"
                " AS source ON FALSE"
                " WHEN NOT MATCHED BY SOURCE AND target._source_db = @source_db"
                " AND target._dump_date = @dump_date THEN DELETE"
                f" WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({columns})",
                self._partition_parameters(partition),
            )
            if load.output_rows is not None:
                row_count = int(load.output_rows)
            else:
                job = self._query(f"SELECT COUNT(*) AS n FROM {quote(staging_id)}")
                row_count = int(next(iter(job.result())).n)
        finally:
            self.client.delete_table(staging_id, not_found_ok=True)

        after = self.client.get_table(self._table_id(table))
        absent = [name for name in existing if name not in incoming and name not in PARTITION_COLUMNS]
        return LoadResult(
            row_count=row_count,
            columns=[(field.name, standard_type(field.field_type)) for field in after.schema],
            added_columns=added,
            absent_columns=absent,
        )

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
        current = self.client.get_table(self._table_id(table))
        known = {field.name for field in current.schema}
        missing = [field for field in new_fields if field.name not in known]
        if missing:
            current.schema = [*current.schema, *missing]
            self.client.update_table(current, ["schema"])

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
