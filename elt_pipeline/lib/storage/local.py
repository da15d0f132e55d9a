"""Folders on disk: the local landing area and Parquet store."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from elt_pipeline.lib.manifest import MANIFEST_NAME, Manifest
from elt_pipeline.lib.storage import ConcurrentPublish, LandedFile, ManifestNotFound, common_schema
from elt_pipeline.lib.storage.layout import is_part_file, partition_prefix, versioned_manifest


def _write_then_rename(destination: Path, content: bytes) -> None:
    """Write under a temporary name, then rename: readers never see a partial file."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary(destination)
    temporary.write_bytes(content)
    temporary.replace(destination)


def _temporary(destination: Path) -> Path:
    return destination.with_name(f".{destination.name}.tmp")


def _copy_then_rename(source: Path, destination: Path) -> None:
    """Copy under a temporary name, then rename: a retried publish never rewrites a listed file in
    place. The copy vanishes only when an import that began later published meanwhile and removed
    it as a killed publish's leftover (`_remove_older_unlisted`): `ConcurrentPublish` then."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary(destination)
    shutil.copyfile(source, temporary)
    try:
        temporary.replace(destination)
    except FileNotFoundError:
        raise ConcurrentPublish(f"{destination}: another import published while this one uploaded") from None


def _file_identity(path: Path) -> tuple[int, int] | None:
    """(inode, mtime) of a file every write replaces by a rename; None when absent."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on the partition folder, between processes of this machine."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _remove(folder: Path, relatives: Iterable[str]) -> None:
    for relative in relatives:
        (folder / relative).unlink(missing_ok=True)


def _remove_older_unlisted(folder: Path, listed: set[str], manifest_written_ns: int) -> None:
    """Delete the part files of earlier imports (no manifest lists them) and the temporary copies
    of publishes killed mid-copy. Files written after the manifest belong to an import that
    started after it and will replace it: they stay."""
    for path in [*folder.glob("*/part-*.parquet"), *folder.glob("*/.part-*.parquet.tmp")]:
        relative = path.relative_to(folder).as_posix()
        if path.name.startswith(".") or (is_part_file(relative) and relative not in listed):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime_ns < manifest_written_ns:
                    path.unlink()


class LocalLanding:
    """A landing folder on disk."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.location = str(self.root)

    def list_from(self, prefix: str, start_offset: str) -> Iterator[LandedFile]:
        base = self.root / prefix.rstrip("/")
        if not base.is_dir():
            return
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            key = path.relative_to(self.root).as_posix()
            if key.startswith(prefix) and key >= start_offset:
                stat = path.stat()
                yield LandedFile(key, f"{stat.st_mtime_ns}-{stat.st_size}", stat.st_size, str(path), stat.st_mtime)

    def top_level_names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(entry.name for entry in os.scandir(self.root))

    def download(self, landed: LandedFile, destination: Path) -> None:
        shutil.copyfile(self.root / landed.key, destination)

    def put(self, key: str, content: bytes) -> None:
        destination = self.root / key
        if not (destination.exists() and destination.read_bytes() == content):
            _write_then_rename(destination, content)


class LocalParquetStore:
    """A Parquet store folder on disk."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _folder(self, source_db: str, dump_date: str) -> Path:
        return self.root / partition_prefix(source_db, dump_date)

    def publish(self, local_dir: Path, manifest: Manifest, import_id: str) -> str:
        folder = self._folder(manifest.source_db, manifest.dump_date)
        manifest_path = folder / MANIFEST_NAME
        replaced = _file_identity(manifest_path)  # before any upload: see `_remove_older_unlisted`
        current = Manifest.from_json(manifest_path.read_text()) if replaced is not None else None
        published, renames = versioned_manifest(manifest, import_id, current)
        try:
            for old, new in renames.items():
                _copy_then_rename(local_dir / old, folder / new)
        except ConcurrentPublish:
            _remove(folder, renames.values())
            raise
        folder.mkdir(parents=True, exist_ok=True)
        with _locked(folder):
            if _file_identity(manifest_path) != replaced:
                _remove(folder, renames.values())
                raise ConcurrentPublish(f"{manifest_path} was replaced by another import while {import_id} uploaded")
            _write_then_rename(manifest_path, published.to_json().encode())
        _remove_older_unlisted(folder, set(renames.values()), manifest_path.stat().st_mtime_ns)
        return str(manifest_path)

    def read_manifest(self, source_db: str, dump_date: str) -> Manifest:
        path = self._folder(source_db, dump_date) / MANIFEST_NAME
        if not path.exists():
            raise ManifestNotFound(f"no manifest at {path}: import the dump for this partition first")
        return Manifest.from_json(path.read_text())

    def file_uri(self, source_db: str, dump_date: str, relative: str) -> str:
        return str(self._folder(source_db, dump_date) / relative)

    def read_schema(self, uris: list[str]) -> pa.Schema:
        return common_schema({uri: pq.read_schema(uri) for uri in uris})
