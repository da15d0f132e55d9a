"""The local warehouse: one DuckDB file, raw tables in schema `<raw_dataset>`."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path

import duckdb

from elt_pipeline.lib.warehouse import (
    LoadResult,
    Partition,
    StagedTable,
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

    def replace_partition(self, table: str, partition: Partition, staged: StagedTable) -> LoadResult:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with connect(self.path) as connection:
            connection.execute("create temp table incoming as select * from read_parquet(?)", [staged.uris])
            incoming = _describe(connection, "incoming")
            existing = self._columns(connection, table)
            added = check_compatible(table, existing, incoming)
            connection.execute("begin")
            self._ensure_table(connection, table, existing, incoming, added)
            connection.execute(
                f"delete from {self._table(table)} where _source_db = ? and _dump_date = ?::date",
                [partition.source_db, partition.dump_date],
            )
            connection.execute(
                f"insert into {self._table(table)} by name"
                " select *, ?::varchar as _source_db, ?::date as _dump_date from incoming",
                [partition.source_db, partition.dump_date],
            )
            connection.execute("commit")
            row_count = connection.execute("select count(*) from incoming").fetchone()[0]
            columns = list(self._columns(connection, table).items())
        return LoadResult(
            row_count=row_count,
            columns=columns,
            added_columns=added,
            absent_columns=absent_columns(existing, incoming),
        )

    def _ensure_table(
        self,
        connection: duckdb.DuckDBPyConnection,
        table: str,
        existing: dict[str, str],
        incoming: dict[str, str],
        added: list[str],
    ) -> None:
        """Create the raw table on its first load, or add the columns this load brings."""
        connection.execute(f"create schema if not exists {quote(self.dataset)}")
        if not existing:
            connection.execute(
                f"create table {self._table(table)} as select *, ''::varchar as _source_db,"
                " date '1970-01-01' as _dump_date from incoming limit 0"
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
