"""The local warehouse: one DuckDB file, raw tables in schema `<raw_dataset>`."""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

import duckdb

from elt_pipeline.lib.warehouse import (
    LOADS_TABLE,
    ImportVersion,
    LoadResult,
    Partition,
    StagedTable,
    StaleImport,
    absent_columns,
    check_compatible,
)

LOCK_WAIT_SECONDS = 120


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


@contextmanager
def connect(path: Path, wait_seconds: float = LOCK_WAIT_SECONDS):
    """Open the DuckDB file, waiting while another process (dbt, another run) holds its lock."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            connection = duckdb.connect(str(path))
            break
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    try:
        yield connection
    finally:
        connection.close()


def _describe(connection: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    return dict(connection.execute(f"select column_name, column_type from (describe {relation})").fetchall())


class DuckDBWarehouse:
    def __init__(self, path: str | Path, dataset: str):
        self.path = Path(path)
        self.dataset = dataset

    def _table(self, table: str) -> str:
        return f"{quote(self.dataset)}.{quote(table)}"

    def qualified_name(self, table: str) -> str:
        return f"{self.path.stem}.{self.dataset}.{table}"

    def _columns(self, connection: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
        """Column name -> type of the raw table ({} if it does not exist yet)."""
        exists = connection.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [self.dataset, table],
        ).fetchone()[0]
        return _describe(connection, self._table(table)) if exists else {}

    def replace_partition(
        self, table: str, partition: Partition, staged: StagedTable, loading: ImportVersion | None = None
    ) -> LoadResult:
        return self.replace_partitions(partition, {table: staged}, loading)[table]

    def replace_partitions(
        self, partition: Partition, tables: Mapping[str, StagedTable | None], loading: ImportVersion | None = None
    ) -> dict[str, LoadResult]:
        """Every table's partition and the record of `loading` in ONE transaction: all replaced,
        or none (`StaleImport` when a table holds a newer import)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with connect(self.path) as connection:
            plans = {table: self._plan(connection, table, staged) for table, staged in tables.items()}
            connection.execute("begin")
            try:
                if loading is not None:
                    self._record_import(connection, partition, list(tables), loading)
                results = {table: self._replace(connection, table, partition, *plan) for table, plan in plans.items()}
                connection.execute("commit")
            except BaseException:
                connection.execute("rollback")
                raise
        return results

    def _record_import(
        self, connection: duckdb.DuckDBPyConnection, partition: Partition, tables: list[str], loading: ImportVersion
    ) -> None:
        """Refuse if a table's partition holds a newer import; else record `loading` for each."""
        loads = self._table(LOADS_TABLE)
        connection.execute(f"create schema if not exists {quote(self.dataset)}")
        connection.execute(
            f"create table if not exists {loads} (_source_db varchar not null, _dump_date date not null,"
            " table_name varchar not null, import_id varchar not null, publish_version bigint not null)"
        )
        where = "_source_db = ? and _dump_date = ?::date and list_contains(?::varchar[], table_name)"
        parameters = [partition.source_db, partition.dump_date, tables]
        newer = connection.execute(
            f"select table_name, import_id, publish_version from {loads} where {where} and publish_version > ?",
            [*parameters, loading.version],
        ).fetchall()
        if newer:
            raise StaleImport(partition, loading, {table: ImportVersion(held, at) for table, held, at in newer})
        connection.execute(f"delete from {loads} where {where}", parameters)
        connection.execute(
            f"insert into {loads} select ?, ?::date, unnest(?::varchar[]), ?, ?",
            [*parameters, loading.import_id, loading.version],
        )

    def _plan(
        self, connection: duckdb.DuckDBPyConnection, table: str, staged: StagedTable | None
    ) -> tuple[str | None, dict[str, str], dict[str, str], list[str]]:
        """Read the staged files into a temp table and check them against the raw table; nothing
        changes yet. Returns (temp table, existing columns, incoming columns, added columns)."""
        existing = self._columns(connection, table)
        if staged is None:
            return None, existing, {}, []
        incoming_table = quote(f"incoming_{table}")
        connection.execute(f"create temp table {incoming_table} as select * from read_parquet(?)", [staged.uris])
        incoming = _describe(connection, incoming_table)
        return incoming_table, existing, incoming, check_compatible(table, existing, incoming)

    def _replace(
        self,
        connection: duckdb.DuckDBPyConnection,
        table: str,
        partition: Partition,
        incoming_table: str | None,
        existing: dict[str, str],
        incoming: dict[str, str],
        added: list[str],
    ) -> LoadResult:
        parameters = [partition.source_db, partition.dump_date]
        if incoming_table is None:  # an optional table absent from the dump: its partition is emptied
            if existing:
                connection.execute(
                    f"delete from {self._table(table)} where _source_db = ? and _dump_date = ?::date", parameters
                )
            return LoadResult(row_count=0, columns=list(existing.items()))
        self._ensure_table(connection, table, incoming_table, existing, incoming, added)
        connection.execute(
            f"delete from {self._table(table)} where _source_db = ? and _dump_date = ?::date", parameters
        )
        connection.execute(
            f"insert into {self._table(table)} by name"
            f" select *, ?::varchar as _source_db, ?::date as _dump_date from {incoming_table}",
            parameters,
        )
        row_count = connection.execute(f"select count(*) from {incoming_table}").fetchone()[0]
        return LoadResult(
            row_count=row_count,
            columns=list(self._columns(connection, table).items()),
            added_columns=added,
            absent_columns=absent_columns(existing, incoming),
        )

    def _ensure_table(
        self,
        connection: duckdb.DuckDBPyConnection,
        table: str,
        incoming_table: str,
        existing: dict[str, str],
        incoming: dict[str, str],
        added: list[str],
    ) -> None:
        """Create the raw table on its first load, or add the columns this load brings."""
        connection.execute(f"create schema if not exists {quote(self.dataset)}")
        if not existing:
            connection.execute(
                f"create table {self._table(table)} as select *, ''::varchar as _source_db,"
                f" date '1970-01-01' as _dump_date from {incoming_table} limit 0"
            )
        for name in added:
            connection.execute(f"alter table {self._table(table)} add column {quote(name)} {incoming[name]}")

    def partition_row_count(self, table: str, partition: Partition) -> int:
        if not self.path.exists():
            return 0
        with connect(self.path) as connection:
            if not self._columns(connection, table):
                return 0
            return connection.execute(
                f"select count(*) from {self._table(table)} where _source_db = ? and _dump_date = ?::date",
                [partition.source_db, partition.dump_date],
            ).fetchone()[0]

    def previous_row_count(self, table: str, partition: Partition) -> int | None:
        if not self.path.exists():
            return None
        with connect(self.path) as connection:
            if not self._columns(connection, table):
                return None
            newest = connection.execute(
                f"select max(_dump_date) from {self._table(table)} where _source_db = ? and _dump_date < ?::date",
                [partition.source_db, partition.dump_date],
            ).fetchone()[0]
            if newest is None:
                return None
            return connection.execute(
                f"select count(*) from {self._table(table)} where _source_db = ? and _dump_date = ?",
                [partition.source_db, newest],
            ).fetchone()[0]
