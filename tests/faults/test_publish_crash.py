"""SIGKILL of a process publishing an import into staging, at many points of the publish.

A child process publishes a real converted import (a sample dump through the converter, its
tables rewritten in parts of 500 rows as a multi-GB dump is parted in 1M-row files, so the
publish has ~200 files to upload and, once its manifest is written, as many of the previous
import's to delete) over the previous import of the same partition. The parent watches
the partition folder, freezes the child with SIGSTOP once the publish has reached a given stage
(n new files uploaded, the manifest replaced, n old files deleted), checks what a reader sees
then, and kills it with SIGKILL. Whatever the stage, the manifest is readable and lists
existing files of exactly one import, complete (the previous one or the new one); publishing
the new import again (the run retry) converges to it with nothing of either earlier attempt
left. Locally and on the GCS emulator.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from elt_pipeline.converter import convert_dump
from elt_pipeline.lib.manifest import MANIFEST_NAME, Manifest
from elt_pipeline.lib.sample_data import SourceHistory, write_dump
from elt_pipeline.lib.storage.layout import versioned_manifest
from elt_pipeline.lib.storage.local import LocalParquetStore

SOURCE, DAY = "shop_eu", date(2024, 1, 1)
CUSTOMERS = 20_000
ROWS_PER_PART = 500  # ~200 part files per import
KILLS = 14  # stages targeted per store, spread over the whole publish
STOP_TIMEOUT_SECONDS = 60

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Import:
    out_dir: Path
    manifest: Manifest
    import_id: str

    def listed(self) -> set[str]:
        """The files the manifest lists once this import is published."""
        published, _ = versioned_manifest(self.manifest, self.import_id, None)
        return {relative for table in published.tables.values() for relative in table.files}


@dataclass(frozen=True)
class Stage:
    """How far a publish got, as seen from outside."""

    new_uploaded: int
    manifest_replaced: bool
    old_deleted: int

    @property
    def index(self) -> int:
        return self.new_uploaded + self.manifest_replaced + self.old_deleted


@pytest.fixture(scope="module")
def imports(tmp_path_factory) -> tuple[Import, Import]:
    """Two real conversions of the partition (two different dumps): the published one, the new one."""
    root = tmp_path_factory.mktemp("publish_crash")
    converted = []
    for seed, import_id in ((7, "old"), (8, "new")):
        snapshot = SourceHistory(SOURCE, seed=seed, customers=CUSTOMERS).snapshot(DAY)
        dump = write_dump(snapshot, root / f"{import_id}.sql.gz")
        manifest = convert_dump(dump, root / "converted" / import_id)
        manifest = in_small_parts(manifest, root / "converted" / import_id, root / import_id)
        converted.append(
            Import(root / import_id, manifest.with_partition(SOURCE, DAY.isoformat(), str(dump)), import_id)
        )
    old, new = converted
    assert len(new.listed()) > 150 and old.manifest.dump_sha256 != new.manifest.dump_sha256
    return old, new


def in_small_parts(manifest: Manifest, converted: Path, out_dir: Path) -> Manifest:
    """The converter's output rewritten as parts of ROWS_PER_PART rows (same rows, same schema),
    as a dump of a few GB would be parted with the converter's 1M rows per part."""
    tables = {}
    for name, table in manifest.tables.items():
        rows = pq.read_table([converted / relative for relative in table.files])
        (out_dir / name).mkdir(parents=True)
        files = []
        for number, start in enumerate(range(0, max(rows.num_rows, 1), ROWS_PER_PART)):
            files.append(f"{name}/part-{number:05d}.parquet")
            pq.write_table(rows.slice(start, ROWS_PER_PART), out_dir / files[-1])
        tables[name] = replace(table, files=files)
    return replace(manifest, tables=tables)


class LocalFolder:
    """A LocalParquetStore under a fresh root, seen through its partition folder."""

    def __init__(self, root: Path):
        self.root = root
        self.folder = root / SOURCE / DAY.isoformat()

    def store(self) -> LocalParquetStore:
        return LocalParquetStore(self.root)

    def names(self) -> set[str]:
        """Every file under the partition folder, relative to it (temporary files included)."""
        if not self.folder.is_dir():
            return set()
        names = set()
        for entry in os.scandir(self.folder):
            if entry.is_dir():
                names |= {f"{entry.name}/{file.name}" for file in os.scandir(entry.path)}
            else:
                names.add(entry.name)
        return names

    def manifest_text(self) -> str:
        return (self.folder / MANIFEST_NAME).read_text()


class GcsFolder:
    """A GcsParquetStore under a fresh prefix of the emulator's bucket."""

    def __init__(self, project: str, bucket: str):
        self.project, self.bucket = project, bucket
        self.prefix = f"staging-{uuid.uuid4().hex[:8]}"
        self.folder = f"{self.prefix}/{SOURCE}/{DAY.isoformat()}/"
        self._client = None

    def store(self):
        from google.cloud import storage

        from elt_pipeline.lib.storage.gcs import GcsParquetStore

        return GcsParquetStore(f"gs://{self.bucket}/{self.prefix}", client=storage.Client(project=self.project))

    @property
    def client(self):
        from google.cloud import storage

        if self._client is None:  # created in the process that uses it (the child is forked)
            self._client = storage.Client(project=self.project)
        return self._client

    def names(self) -> set[str]:
        blobs = self.client.list_blobs(self.bucket, prefix=self.folder, fields="items(name),nextPageToken")
        return {blob.name[len(self.folder) :] for blob in blobs}

    def manifest_text(self) -> str:
        return self.client.bucket(self.bucket).blob(self.folder + MANIFEST_NAME).download_as_text()


def _publish(folder, published: Import) -> None:
    folder.store().publish(published.out_dir, published.manifest, import_id=published.import_id)


def stage_of(names: set[str], old: Import, new: Import, manifest_text: Callable[[], str]) -> Stage:
    replaced = MANIFEST_NAME in names and Manifest.from_json(manifest_text()).dump_sha256 == new.manifest.dump_sha256
    return Stage(len(new.listed() & names), replaced, len(old.listed() - names))


def assert_one_complete_import(folder, old: Import, new: Import) -> Import:
    """The manifest is readable and lists every file of one import, each present; that import."""
    names = folder.names()
    manifest = Manifest.from_json(folder.manifest_text())
    published = {old.manifest.dump_sha256: old, new.manifest.dump_sha256: new}[manifest.dump_sha256]
    listed = {relative for table in manifest.tables.values() for relative in table.files}
    assert listed == published.listed(), "the manifest lists files of another import, or not all of its own"
    assert listed <= names, f"listed but missing: {sorted(listed - names)[:5]}"
    return published


def kill_at(folder, old: Import, new: Import, target: int) -> Stage:
    """Publish `new` in a child process, freeze it once the publish reached stage `target` (or
    ended), check the staging a reader sees, SIGKILL it, check again; the stage it was killed at."""
    child = multiprocessing.get_context("fork").Process(target=_publish, args=(folder, new))
    child.start()
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    try:
        while child.exitcode is None and time.monotonic() < deadline:
            if stage_of(folder.names(), old, new, folder.manifest_text).index >= target:
                break
        with contextlib.suppress(ProcessLookupError):  # it finished first
            os.kill(child.pid, signal.SIGSTOP)
        assert child.exitcode in (None, 0), f"the publish failed on its own (exit code {child.exitcode})"
        stage = stage_of(folder.names(), old, new, folder.manifest_text)
        assert_one_complete_import(folder, old, new)  # a reader during the publish
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGKILL)
        child.join(timeout=30)
    assert_one_complete_import(folder, old, new)  # what the killed publish left
    return stage


def assert_converges(folder, old: Import, new: Import) -> None:
    """The retry publishes the new import again (a new run, a new import id): only it remains."""
    retry = Import(new.out_dir, new.manifest, "retry")
    _publish(folder, retry)
    assert assert_one_complete_import(folder, old, retry) == retry
    assert folder.names() == retry.listed() | {MANIFEST_NAME}, "files of the killed publish or the old import remain"


def sweep(make_folder: Callable[[], object], old: Import, new: Import) -> list[Stage]:
    """Kill the publish at KILLS stages spread from its start to its end, each on a fresh copy
    of the old import; every time the invariant holds and a retry converges."""
    last = len(new.listed()) + 1 + len(old.listed())
    stages = []
    for target in [round(last * number / (KILLS - 1)) for number in range(KILLS)]:
        folder = make_folder()
        _publish(folder, old)
        stages.append(kill_at(folder, old, new, target))
        assert_converges(folder, old, new)
    print(
        "killed at (uploaded, manifest replaced, deleted):",
        [(s.new_uploaded, s.manifest_replaced, s.old_deleted) for s in stages],
    )
    return stages


def assert_windows_covered(stages: list[Stage], old: Import, new: Import) -> None:
    """The kills landed while files were uploaded and after the manifest was replaced."""
    assert any(0 < s.new_uploaded < len(new.listed()) for s in stages), stages
    assert any(s.new_uploaded == len(new.listed()) and not s.manifest_replaced for s in stages) or any(
        s.manifest_replaced for s in stages
    ), stages
    assert any(s.manifest_replaced and s.old_deleted < len(old.listed()) for s in stages), stages


def test_a_local_publish_killed_at_any_point_leaves_one_complete_import(tmp_path, imports):
    old, new = imports
    counter = iter(range(KILLS))
    stages = sweep(lambda: LocalFolder(tmp_path / f"attempt{next(counter)}"), old, new)
    assert_windows_covered(stages, old, new)


@pytest.mark.gcp
def test_a_gcs_publish_killed_at_any_point_leaves_one_complete_import(emulators, imports):
    from google.cloud import storage

    bucket = storage.Client(project=emulators.project).create_bucket(f"test-{uuid.uuid4().hex[:16]}")
    old, new = imports
    stages = sweep(lambda: GcsFolder(emulators.project, bucket.name), old, new)
    assert_windows_covered(stages, old, new)
