"""Staging: converted Parquet files plus `_manifest.json`, per (source_db, dump_date).

Layout: `<staging>/<source_db>/<date>/<table>/part-<import_id>-NNNNN.parquet` and
`<staging>/<source_db>/<date>/_manifest.json`. Publishing uploads every file first and the
manifest last; files carry the import id, so a replay never overwrites what the current
manifest points to. `LocalStaging` serves a folder, `elt_pipeline.lib.gcs.GcsStaging` a
bucket prefix; `open_staging` picks one from the URI.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from elt_pipeline.lib.manifest import MANIFEST_NAME, Manifest


class ManifestNotFound(LookupError):
    """No import has been published for this partition."""


def partition_prefix(source_db: str, dump_date: str) -> str:
    return f"{source_db}/{dump_date}"


def versioned_manifest(manifest: Manifest, import_id: str) -> tuple[Manifest, dict[str, str]]:
    """The manifest with each file renamed `part-<import_id>-NNNNN`, and the old->new map."""
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
    return replace(manifest, tables=tables), renames


class Staging(Protocol):
    def publish(self, local_dir: Path, manifest: Manifest, import_id: str) -> str:
        """Upload `local_dir`'s files for `manifest`'s partition, manifest last; return its URI."""
        ...

    def read_manifest(self, source_db: str, dump_date: str) -> Manifest:
        """The published manifest, or `ManifestNotFound`."""
        ...

    def file_uri(self, source_db: str, dump_date: str, relative: str) -> str:
        """URI (local path or gs://) of a file a manifest lists."""
        ...


class LocalStaging:
    """A staging folder on disk."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _folder(self, source_db: str, dump_date: str) -> Path:
        return self.root / partition_prefix(source_db, dump_date)

    def publish(self, local_dir: Path, manifest: Manifest, import_id: str) -> str:
        folder = self._folder(manifest.source_db, manifest.dump_date)
        published, renames = versioned_manifest(manifest, import_id)
        for old, new in renames.items():
            (folder / new).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(local_dir / old, folder / new)
        temporary = folder / f".{MANIFEST_NAME}.{import_id}"
        temporary.write_text(published.to_json())
        temporary.replace(folder / MANIFEST_NAME)  # atomic on POSIX
        self._remove_unlisted(folder, set(renames.values()))
        return str(folder / MANIFEST_NAME)

    @staticmethod
    def _remove_unlisted(folder: Path, listed: set[str]) -> None:
        for path in folder.glob("*/part-*.parquet"):
            if path.relative_to(folder).as_posix() not in listed:
                path.unlink()

    def read_manifest(self, source_db: str, dump_date: str) -> Manifest:
        path = self._folder(source_db, dump_date) / MANIFEST_NAME
        if not path.exists():
            raise ManifestNotFound(f"no manifest at {path}: import the dump for this partition first")
        return Manifest.from_json(path.read_text())

    def file_uri(self, source_db: str, dump_date: str, relative: str) -> str:
        return str(self._folder(source_db, dump_date) / relative)


def open_staging(uri: str) -> Staging:
    """`gs://bucket/prefix` -> GcsStaging, anything else -> LocalStaging."""
    if uri.startswith("gs://"):
        from elt_pipeline.lib.gcs import GcsStaging

        return GcsStaging(uri)
    return LocalStaging(uri)
