"""Warehouses the raw tables load into: one partition of every table replaced per call.

`duckdb.DuckDBWarehouse` (local) and `bigquery.BigQueryWarehouse` (gcp) implement `Warehouse`;
every raw table carries `_source_db` and `_dump_date`. The schema rules both follow
(`check_compatible`) live here, once.

`replace_partitions` validates every table before it changes any: DuckDB then replaces them
all in one transaction; BigQuery replaces them one atomic MERGE each, and a failure after the
first raises `PartialReplace` so the caller can mark the partition inconsistent until a retry.

Ordering guard: the raw dataset's control table `_elt_partition_loads` records, per
(source_db, dump_date, table), the import the warehouse holds and its publish version (staging's
publish order). A load whose import is older than the one recorded changes nothing and raises
`StaleImport`; the same import (a replay) or a newer one proceeds. Both warehouses write the
record with the replace, and make the replace conditional on it (see each module).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import pyarrow as pa

PARTITION_COLUMNS = ("_source_db", "_dump_date")
LOADS_TABLE = "_elt_partition_loads"  # which import each partition of each raw table holds


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


@dataclass(frozen=True)
class ImportVersion:
    """The staged import a load brings: its id and publish version (greater = published later)."""

    import_id: str
    version: int

    def __str__(self) -> str:
        return f"import {self.import_id} (publish version {self.version})"


class StaleImport(RuntimeError):
    """The warehouse already holds a newer import of the partition: this load changed nothing."""

    def __init__(self, partition: Partition, loading: ImportVersion, held: dict[str, ImportVersion]):
        self.loading = loading
        self.held = held
        newer = "; ".join(f"{table}: {version}" for table, version in sorted(held.items()))
        super().__init__(
            f"{partition}: not loading {loading}, the warehouse already holds a newer one ({newer}); "
            "nothing was changed. Staging was republished meanwhile: load the partition again to get the newest."
        )


class SchemaDriftError(ValueError):
    """The staged files change a column's type: refused before anything is written."""


class PartialReplace(RuntimeError):
    """Some tables of the partition were replaced, then the next one failed: the partition
    mixes two dumps until a retry replaces the rest."""

    def __init__(self, partition: Partition, replaced: dict[str, LoadResult], failed: str, cause: BaseException):
        self.replaced = replaced
        self.failed = failed
        super().__init__(
            f"{partition}: replaced {sorted(replaced)}, then {failed} failed ({type(cause).__name__}: {cause}); "
            "the partition is inconsistent until a retry loads it again"
        )


class Warehouse(Protocol):
    def replace_partition(
        self, table: str, partition: Partition, staged: StagedTable, loading: ImportVersion | None = None
    ) -> LoadResult:
        """Make `partition` of `table` hold exactly the rows of `staged`, atomically."""
        ...

    def replace_partitions(
        self, partition: Partition, tables: Mapping[str, StagedTable | None], loading: ImportVersion | None = None
    ) -> dict[str, LoadResult]:
        """Validate every table's schema first (`SchemaDriftError`, nothing written), then make
        `partition` of each table hold exactly its staged rows; None empties the partition.
        With `loading`, refuse (`StaleImport`, nothing written) if a table holds a newer import."""
        ...

    def previous_row_count(self, table: str, partition: Partition) -> int | None:
        """Rows of the same source's newest earlier dump date in `table` (None: there is none)."""
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
