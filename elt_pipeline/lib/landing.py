"""Where dumps land: `<landing>/<source_db>/<YYYY-MM-DD>/<name>.sql[.gz]`.

`Landing` is the interface the dump sensor lists through; `LocalLanding` serves a folder and
`elt_pipeline.lib.gcs.GcsLanding` a bucket prefix. `open_landing` picks one from the URI.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

DUMP_SUFFIXES = (".sql", ".sql.gz")
# Names a writer uses while a file is incomplete: never picked up.
TEMPORARY_NAME = re.compile(r"(^[.~_])|(\.(tmp|part|partial|crdownload|uploading)$)|(~$)")


@dataclass(frozen=True)
class LandedFile:
    """One object in the landing area, at one version."""

    key: str  # relative to the landing root, '/'-separated
    version: str  # GCS generation; locally "<mtime_ns>-<size>"
    size: int
    uri: str

    @property
    def run_key(self) -> str:
        """Same key and version -> same run; a re-upload has a new version and replays."""
        return f"{self.key}@{self.version}"


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


class Landing(Protocol):
    """A landing area, listed in lexicographic key order like a GCS bucket."""

    def list_from(self, prefix: str, start_offset: str) -> Iterator[LandedFile]:
        """Files whose key starts with `prefix` and is >= `start_offset`, in key order."""
        ...

    def top_level_names(self) -> list[str]:
        """The first path segment of every key (the source folders), sorted."""
        ...

    def download(self, landed: LandedFile, destination: Path) -> None:
        """Copy the file's content at `landed.version` to a local path."""
        ...


class LocalLanding:
    """A landing folder on disk."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def list_from(self, prefix: str, start_offset: str) -> Iterator[LandedFile]:
        base = self.root / prefix.rstrip("/")
        if not base.is_dir():
            return
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            key = path.relative_to(self.root).as_posix()
            if key.startswith(prefix) and key >= start_offset:
                stat = path.stat()
                yield LandedFile(key, f"{stat.st_mtime_ns}-{stat.st_size}", stat.st_size, str(path))

    def top_level_names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(entry.name for entry in os.scandir(self.root))

    def download(self, landed: LandedFile, destination: Path) -> None:
        shutil.copyfile(self.root / landed.key, destination)


def open_landing(uri: str) -> Landing:
    """`gs://bucket/prefix` -> GcsLanding, anything else -> LocalLanding."""
    if uri.startswith("gs://"):
        from elt_pipeline.lib.gcs import GcsLanding

        return GcsLanding(uri)
    return LocalLanding(uri)
