"""Where files live between the stages: the landing area (dumps) and the Parquet store
(converted tables + manifests).

This module holds the protocols and data types; `local` serves folders on disk and `gcs`
serves `gs://bucket/prefix` URIs. Which one runs is decided once, by the settings' type
(`elt_pipeline.defs.resources.build_resources`). Key layout rules are in `layout`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from elt_pipeline.lib.manifest import Manifest


@dataclass(frozen=True)
class LandedFile:
    """One object in the landing area, at one version."""

    key: str  # relative to the landing root, '/'-separated
    version: str  # GCS generation; locally "<mtime_ns>-<size>"
    size: int
    uri: str
    updated: float  # when this version landed (epoch seconds): GCS `updated`, locally the mtime

    @property
    def run_key(self) -> str:
        """Same key and version -> same run; a re-upload has a new version and replays."""
        return f"{self.key}@{self.version}"


class ManifestNotFound(LookupError):
    """No import has been published for this partition."""


class ConcurrentPublish(RuntimeError):
    """Another import published the partition's manifest while this one uploaded its files:
    this import's files were removed and the other manifest stands."""


class InconsistentParquet(ValueError):
    """The Parquet files of one table do not share one schema."""


class Landing(Protocol):
    """A landing area, listed in lexicographic key order like a GCS bucket."""

    location: str  # the folder or gs:// URI, for messages

    def list_from(self, prefix: str, start_offset: str) -> Iterator[LandedFile]:
        """Files whose key starts with `prefix` and is >= `start_offset`, in key order."""
        ...

    def top_level_names(self) -> list[str]:
        """The first path segment of every key (the source folders), sorted."""
        ...

    def download(self, landed: LandedFile, destination: Path) -> None:
        """Copy the file's content at `landed.version` to a local path."""
        ...

    def put(self, key: str, content: bytes) -> None:
        """Land `content` at `key`, complete or not at all; identical content already there is
        left alone (not a re-upload). For sample dumps and tests."""
        ...


class ParquetStore(Protocol):
    """Converted dumps: `<source_db>/<date>/<table>/part-<import>-NNNNN.parquet` + `_manifest.json`."""

    def publish(self, local_dir: Path, manifest: Manifest, import_id: str) -> str:
        """Upload `local_dir`'s files for `manifest`'s partition under names carrying
        `import_id`, then the manifest, only if no other import replaced it meanwhile (else
        `ConcurrentPublish`), then remove earlier imports' files; return the manifest's URI."""
        ...

    def read_manifest(self, source_db: str, dump_date: str) -> Manifest:
        """The published manifest, or `ManifestNotFound`."""
        ...

    def file_uri(self, source_db: str, dump_date: str, relative: str) -> str:
        """URI (local path or gs://) of a file a manifest lists."""
        ...

    def read_schema(self, uris: list[str]) -> pa.Schema:
        """The one Arrow schema of these Parquet files, from their footers only."""
        ...


def common_schema(schemas: Mapping[str, pa.Schema]) -> pa.Schema:
    """The schema every file (uri -> schema) shares, or `InconsistentParquet` naming the odd one."""
    if not schemas:
        raise InconsistentParquet("no Parquet files to read")
    first = next(iter(schemas.values())).remove_metadata()
    for uri, schema in schemas.items():
        if not schema.remove_metadata().equals(first):
            raise InconsistentParquet(f"{uri}: schema differs from the other files of this table")
    return first
