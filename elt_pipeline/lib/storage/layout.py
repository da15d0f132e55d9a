"""Key layout of the landing area and the Parquet store: pure functions, no I/O.

Landing: `<source_db>/<YYYY-MM-DD>/<name>.sql[.gz]`; names writers use while a file is
incomplete are never picked up. Parquet store: `<source_db>/<date>/<table>/part-<import>-NNNNN.parquet`
plus `<source_db>/<date>/_manifest.json`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from elt_pipeline.lib.manifest import Manifest
from elt_pipeline.lib.storage import LandedFile

DUMP_SUFFIXES = (".sql", ".sql.gz")
# Names a writer uses while a file is incomplete: never picked up.
TEMPORARY_NAME = re.compile(r"(^[.~_])|(\.(tmp|part|partial|crdownload|uploading)$)|(~$)")


@dataclass(frozen=True)
class DumpPath:
    source_db: str
    dump_date: str  # YYYY-MM-DD
    name: str


class BadDumpPath(ValueError):
    """A landed key that is not `<source_db>/<YYYY-MM-DD>/<name>.sql[.gz]` for a known source."""


def parse_dump_key(key: str, sources: list[str]) -> DumpPath:
    """Split a landing key into its partition, or raise `BadDumpPath` saying why."""
    parts = key.split("/")
    if len(parts) != 3:
        raise BadDumpPath(f"{key}: expected <source_db>/<YYYY-MM-DD>/<name>.sql[.gz]")
    source_db, dump_date, name = parts
    if source_db not in sources:
        raise BadDumpPath(f"{key}: unknown source {source_db!r} (configured: {', '.join(sources)})")
    try:
        if date.fromisoformat(dump_date).isoformat() != dump_date:
            raise ValueError
    except ValueError:
        raise BadDumpPath(f"{key}: {dump_date!r} is not a YYYY-MM-DD dump date") from None
    if not name.endswith(DUMP_SUFFIXES):
        raise BadDumpPath(f"{key}: not a dump file (expected .sql or .sql.gz)")
    return DumpPath(source_db=source_db, dump_date=dump_date, name=name)


def is_temporary(key: str) -> bool:
    """True for names writers use before the final rename (`.x.sql.gz`, `x.tmp`, ...)."""
    return bool(TEMPORARY_NAME.search(key.rsplit("/", 1)[-1]))


def newest_dump(files: Iterable[LandedFile]) -> LandedFile:
    """The dump of a (source, date) folder that holds several: the one landed last (ties: the
    greater key). A re-upload of an older file makes it the newest again."""
    return max(files, key=lambda landed: (landed.updated, landed.key))


def partition_prefix(source_db: str, dump_date: str) -> str:
    """The Parquet store folder of one (source_db, dump_date) partition."""
    return f"{source_db}/{dump_date}"


def is_part_file(relative: str) -> bool:
    """`<table>/part-*.parquet`, relative to a partition folder."""
    table, _, name = relative.partition("/")
    return bool(table) and "/" not in name and name.startswith("part-") and name.endswith(".parquet")


def next_publish_version(replaced: Manifest | None) -> int:
    """The publish version of a manifest replacing `replaced`: greater than its version (the
    publish is a compare-and-swap on it, so versions follow publish order), and otherwise the
    time in microseconds, so a re-created staging folder still orders after what was loaded."""
    previous = replaced.publish_version if replaced is not None else 0
    return max(previous + 1, time.time_ns() // 1000)


def versioned_manifest(
    manifest: Manifest, import_id: str, replaced: Manifest | None
) -> tuple[Manifest, dict[str, str]]:
    """The manifest stamped with `import_id` and its publish version (after `replaced`, the
    manifest it replaces), each file renamed `part-<import_id>-NNNNN`; and the old->new map.

    Files carry the import id, so a replay never overwrites what the current manifest lists.
    """
    renames: dict[str, str] = {}
    tables = {}
    for name, table in manifest.tables.items():
        files = []
        for relative in table.files:
            folder, _, file_name = relative.rpartition("/")
            renamed = f"{folder}/{file_name.replace('part-', f'part-{import_id}-', 1)}"
            renames[relative] = renamed
            files.append(renamed)
        tables[name] = replace(table, files=files)
    stamped = replace(manifest, tables=tables, import_id=import_id, publish_version=next_publish_version(replaced))
    return stamped, renames
