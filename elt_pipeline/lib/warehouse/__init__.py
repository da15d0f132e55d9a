"""Warehouses the raw tables load into: one atomic partition replace per call.

`DuckDBWarehouse` (local) and `elt_pipeline.lib.warehouse.bigquery.BigQueryWarehouse` (gcp)
implement `Warehouse`; every raw table carries `_source_db` and `_dump_date`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

PARTITION_COLUMNS = ("_source_db", "_dump_date")


@dataclass(frozen=True)
class Partition:
    source_db: str
    dump_date: str  # YYYY-MM-DD


@dataclass(frozen=True)
class LoadResult:
    row_count: int
    columns: list[tuple[str, str]]  # (name, warehouse type) of the table after the load
    added_columns: list[str] = field(default_factory=list)  # new in this load (additive drift)
    absent_columns: list[str] = field(default_factory=list)  # in the table, not in this load


class SchemaDriftError(ValueError):
    """The staged files change a column's type: refused before anything is written."""


class Warehouse(Protocol):
    def replace_partition(self, table: str, partition: Partition, file_uris: list[str]) -> LoadResult:
        """Make `partition` of `table` hold exactly the rows of `file_uris`, atomically."""
        ...

    def partition_row_count(self, table: str, partition: Partition) -> int:
        """Rows of `table` in `partition` (0 if the table does not exist)."""
        ...


def describe_drift(table: str, existing: dict[str, str], incoming: dict[str, str]) -> list[str]:
    """Columns whose type changes, as messages; raise nothing (callers decide)."""
    return [
        f"{table}.{name}: {existing[name]} -> {kind}"
        for name, kind in incoming.items()
        if name in existing and existing[name] != kind
    ]
