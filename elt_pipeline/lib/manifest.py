"""The staging manifest: the contract between the import job and the loaders.

`_manifest.json` is written last, after every Parquet file it lists; loaders read only the
files it lists, so a half-written staging folder is never loaded.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

MANIFEST_NAME = "_manifest.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    mysql_type: str  # as declared in CREATE TABLE, e.g. "int(10) unsigned"
    arrow_type: str  # str() of the pyarrow type written, e.g. "uint32", "decimal128(10, 2)"
    nullable: bool = True
    hashed: bool = False  # salted SHA-256 hex of the value (column policy)
    mapping: str = ""  # how the MySQL type was mapped, e.g. "time -> int64 microseconds"
    zero_dates_nulled: int = 0  # zero dates ('0000-00-00') written as NULL


@dataclass(frozen=True)
class TableManifest:
    row_count: int
    files: list[str]  # relative to the manifest's folder, e.g. "orders/part-00000.parquet"
    columns: list[ColumnInfo]
    excluded_columns: list[str] = field(default_factory=list)
    omitted_columns: list[str] = field(default_factory=list)  # declared but absent from the INSERTs
    duplicates_dropped: int = 0  # rows REPLACE / INSERT IGNORE made the server drop or skip (not in the files)
    # Columns the dump holds that the column policy does not list (new columns), and what the
    # import did with each by the policy's `new_columns`: "excluded", "hashed" or "in clear".
    unlisted_columns: dict[str, str] = field(default_factory=dict)

    def describe_unlisted(self) -> str:
        """'phone (excluded), fax (hashed)': the unlisted columns and what was done with them."""
        return ", ".join(f"{name} ({action})" for name, action in self.unlisted_columns.items())


@dataclass(frozen=True)
class SkippedObject:
    """A view, trigger, routine, event or sequence the dump defines: not a table, not converted."""

    kind: str  # "view", "trigger", "procedure", "function", "event", "sequence", "package"
    name: str
    database: str | None = None


@dataclass(frozen=True)
class Manifest:
    tables: dict[str, TableManifest]
    converter_version: str
    dump_uri: str
    dump_sha256: str
    dump_bytes: int
    source_db: str | None = None
    dump_date: str | None = None
    format_version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)
    # What the dump says about itself (absent from manifests of converter 1.x):
    databases: list[str] = field(default_factory=list)  # named by its comments, CREATE DATABASE and USE, in order
    database: str | None = None  # the database converted (None: the dump names none)
    generator: str | None = None  # its header, e.g. "mysqldump 10.13  Distrib 8.0.36, for Linux (x86_64)"
    completeness: str | None = None  # the signal that confirmed the dump is whole
    skipped_objects: list[SkippedObject] = field(default_factory=list)
    # Stamped by the staging publish (absent before it): the import that published this manifest
    # and its place in the partition's publish order (a later publish has a greater version).
    import_id: str | None = None
    publish_version: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        raw = json.loads(text)
        if raw.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"unsupported manifest format_version {raw.get('format_version')!r}")
        tables = {
            name: TableManifest(
                row_count=table["row_count"],
                files=list(table["files"]),
                columns=[ColumnInfo(**column) for column in table["columns"]],
                excluded_columns=list(table.get("excluded_columns", [])),
                omitted_columns=list(table.get("omitted_columns", [])),
                duplicates_dropped=table.get("duplicates_dropped", 0),
                unlisted_columns=dict(table.get("unlisted_columns", {})),
            )
            for name, table in raw.pop("tables").items()
        }
        skipped = [SkippedObject(**item) for item in raw.pop("skipped_objects", [])]
        return cls(tables=tables, skipped_objects=skipped, **raw)

    def with_partition(self, source_db: str, dump_date: str, dump_uri: str) -> Manifest:
        """A copy stamped with the partition it was imported for."""
        raw = asdict(self)
        raw.update(source_db=source_db, dump_date=dump_date, dump_uri=dump_uri)
        return Manifest.from_json(json.dumps(raw))
