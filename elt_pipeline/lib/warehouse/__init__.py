"""Warehouses the raw tables load into: one atomic partition replace per call.

`duckdb.DuckDBWarehouse` (local) and `bigquery.BigQueryWarehouse` (gcp) implement `Warehouse`;
every raw table carries `_source_db` and `_dump_date`. The schema rules both follow
(`check_compatible`) live here, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pyarrow as pa

PARTITION_COLUMNS = ("_source_db", "_dump_date")


@dataclass(frozen=True)
class Partition:
    source_db: str
    dump_date: str  # YYYY-MM-DD

    def __str__(self) -> str:
        return f"{self.dump_date}|{self.source_db}"


@dataclass(frozen=True)
class StagedTable:
    """One table of one converted dump: the Parquet files its manifest lists and their schema."""

    uris: list[str]
    schema: pa.Schema


@dataclass(frozen=True)
class LoadResult:
    row_count: int
    columns: list[tuple[str, str]]  # (name, warehouse type) of the table after the load
    added_columns: list[str] = field(default_factory=list)  # new in this load (additive drift)
    absent_columns: list[str] = field(default_factory=list)  # in the table, not in this load


class SchemaDriftError(ValueError):
    """The staged files change a column's type: refused before anything is written."""


class Warehouse(Protocol):
    def replace_partition(self, table: str, partition: Partition, staged: StagedTable) -> LoadResult:
        """Make `partition` of `table` hold exactly the rows of `staged`, atomically."""
        ...

    def partition_row_count(self, table: str, partition: Partition) -> int:
        """Rows of `table` in `partition` (0 if the table does not exist)."""
        ...

    def qualified_name(self, table: str) -> str:
        """The table's fully qualified name, as the warehouse's own SQL writes it."""
        ...


def check_compatible(table: str, existing: dict[str, str], incoming: dict[str, str]) -> list[str]:
    """The incoming columns the table lacks (additive drift, allowed); `SchemaDriftError` when a
    source column takes a reserved name or an existing column would change type.

    `existing` and `incoming` map column name -> warehouse type; `existing` is {} for a new table.
    """
    reserved = sorted(set(PARTITION_COLUMNS) & set(incoming))
    if reserved:
        raise SchemaDriftError(f"{table}: source columns clash with {reserved}, nothing loaded")
    changed = [
        f"{table}.{name}: {existing[name]} -> {kind}"
        for name, kind in incoming.items()
        if name in existing and existing[name] != kind
    ]
    if changed:
        raise SchemaDriftError("incompatible schema change, nothing loaded: " + "; ".join(changed))
    return [name for name in incoming if existing and name not in existing]


def absent_columns(existing: dict[str, str], incoming: dict[str, str]) -> list[str]:
    """Columns the table has that this load lacks (they stay NULL for the partition)."""
    return [name for name in existing if name not in incoming and name not in PARTITION_COLUMNS]
