"""Concurrent imports of one partition (a replay while the sensor's run is in flight, or a
`dagster dev` without the instance's tag limits) publish into one staging folder at once. Whatever
the interleaving, staging must end with a manifest that lists files which all exist and all
belong to one import, and no other import's files: each publisher either published (its manifest
was current when it wrote) or was refused with `ConcurrentPublish` and left nothing behind.
"""

import threading
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from elt_pipeline.lib.manifest import MANIFEST_NAME, ColumnInfo, Manifest, TableManifest
from elt_pipeline.lib.storage import ConcurrentPublish
from elt_pipeline.lib.storage.local import LocalParquetStore

PUBLISHERS = 6
FILES = 12
ROWS_PER_FILE = 5_000
SOURCE, DAY = "shop_eu", "2024-01-01"


def converted(folder: Path, number: int) -> Manifest:
    """Import `number`'s converter output: FILES Parquet files whose rows all say `number`."""
    (folder / "orders").mkdir(parents=True)
    files = []
    for index in range(FILES):
        relative = f"orders/part-{index:05d}.parquet"
        pq.write_table(pa.table({"import_no": pa.array([number] * ROWS_PER_FILE, pa.int64())}), folder / relative)
        files.append(relative)
    return Manifest(
        tables={
            "orders": TableManifest(
                row_count=FILES * ROWS_PER_FILE,
                files=files,
                columns=[ColumnInfo("import_no", "int(11)", "int64", nullable=False)],
            )
        },
        converter_version="test",
        dump_uri=f"landing/{SOURCE}/{DAY}/dump-{number}.sql.gz",
        dump_sha256=f"{number:064d}",
        dump_bytes=1,
        source_db=SOURCE,
        dump_date=DAY,
    )


def publish_at_once(stores: list, root: Path) -> dict[int, str]:
    """Every store publishes its own import at the same moment; number -> outcome."""
    manifests = [converted(root / f"import{number}", number) for number in range(len(stores))]
    start = threading.Barrier(len(stores))
    outcomes: dict[int, str] = {}

    def publish(number: int) -> None:
        start.wait()
        try:
            stores[number].publish(root / f"import{number}", manifests[number], import_id=f"imp{number}")
            outcomes[number] = "published"
        except ConcurrentPublish:
            outcomes[number] = "refused"

    threads = [threading.Thread(target=publish, args=(number,)) for number in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(outcomes) == len(stores), outcomes  # no publisher failed any other way
    return outcomes


def assert_one_complete_import(store, outcomes: dict[int, str], part_files: set[str]) -> None:
    manifest = store.read_manifest(SOURCE, DAY)
    number = int(manifest.dump_sha256)
    listed = manifest.tables["orders"].files
    assert outcomes[number] == "published"
    assert all(name.startswith(f"orders/part-imp{number}-") for name in listed), listed
    assert part_files == set(listed)  # nothing of another import remains
    values = set()
    for relative in listed:
        with pq.ParquetFile(_open(store, relative)) as parquet:
            values |= set(parquet.read().column("import_no").to_pylist())
    assert values == {number}


def _open(store, relative: str):
    uri = store.file_uri(SOURCE, DAY, relative)
    if uri.startswith("gs://"):
        from elt_pipeline.lib.storage.gcs import split_gs_uri

        bucket, name = split_gs_uri(uri)
        return store.client.bucket(bucket).blob(name.rstrip("/")).open("rb")
    return open(uri, "rb")


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_local_publishes_leave_one_complete_import(tmp_path, round_):
    root = tmp_path / "parquet"
    stores = [LocalParquetStore(root) for _ in range(PUBLISHERS)]

    outcomes = publish_at_once(stores, tmp_path)

    folder = root / SOURCE / DAY
    part_files = {path.relative_to(folder).as_posix() for path in folder.glob("*/part-*.parquet")}
    assert_one_complete_import(stores[0], outcomes, part_files)
    assert sorted(path.name for path in folder.iterdir()) == [MANIFEST_NAME, "orders"]  # no temporary file left


@pytest.mark.gcp
def test_concurrent_gcs_publishes_leave_one_complete_import(emulators, tmp_path):
    from google.cloud import storage

    from elt_pipeline.lib.storage.gcs import GcsParquetStore

    bucket = storage.Client(project=emulators.project).create_bucket(f"test-{uuid.uuid4().hex[:16]}")
    uri = f"gs://{bucket.name}/staging"
    stores = [GcsParquetStore(uri, client=storage.Client(project=emulators.project)) for _ in range(PUBLISHERS)]

    outcomes = publish_at_once(stores, tmp_path)

    folder = f"staging/{SOURCE}/{DAY}/"
    names = {blob.name[len(folder) :] for blob in stores[0].client.list_blobs(bucket.name, prefix=folder)}
    assert_one_complete_import(stores[0], outcomes, names - {MANIFEST_NAME})
