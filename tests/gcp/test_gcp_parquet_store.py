"""GcsParquetStore on fake-gcs-server: files first, `_manifest.json` last, replays never clobber."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from elt_pipeline.lib.manifest import MANIFEST_NAME, ColumnInfo, Manifest, TableManifest
from elt_pipeline.lib.storage import InconsistentParquet, ManifestNotFound
from elt_pipeline.lib.storage.gcs import GcsParquetStore

pytestmark = pytest.mark.gcp


def write_import(folder: Path, rows: int, source_db="shop_eu", dump_date="2024-01-01") -> Manifest:
    """A converter-shaped output folder: <table>/part-NNNNN.parquet and its manifest."""
    (folder / "orders").mkdir(parents=True)
    half = rows // 2
    for index, ids in enumerate([range(half), range(half, rows)]):
        pq.write_table(pa.table({"id": pa.array(list(ids), pa.int64())}), folder / f"orders/part-{index:05d}.parquet")
    return Manifest(
        tables={
            "orders": TableManifest(
                row_count=rows,
                files=["orders/part-00000.parquet", "orders/part-00001.parquet"],
                columns=[ColumnInfo("id", "int(11)", "int64", nullable=False)],
            )
        },
        converter_version="test",
        dump_uri=f"gs://landing/{source_db}/{dump_date}/dump.sql.gz",
        dump_sha256="0" * 64,
        dump_bytes=1,
        source_db=source_db,
        dump_date=dump_date,
    )


def test_publish_uploads_files_then_manifest_last(bucket, recording_gcs, tmp_path):
    staging = GcsParquetStore(f"gs://{bucket.name}/staging", client=recording_gcs)
    with pytest.raises(ManifestNotFound, match="shop_eu/2024-01-01"):
        staging.read_manifest("shop_eu", "2024-01-01")
    manifest = write_import(tmp_path / "import1", rows=10)
    recording_gcs._http.clear()

    uri = staging.publish(tmp_path / "import1", manifest, "imp1")

    assert uri == f"gs://{bucket.name}/staging/shop_eu/2024-01-01/{MANIFEST_NAME}"
    uploads = [call.name for call in recording_gcs._http.calls if call.method == "POST" and call.name]
    assert uploads[-1].endswith(MANIFEST_NAME)
    assert sorted(uploads[:-1]) == [
        "staging/shop_eu/2024-01-01/orders/part-imp1-00000.parquet",
        "staging/shop_eu/2024-01-01/orders/part-imp1-00001.parquet",
    ]
    published = staging.read_manifest("shop_eu", "2024-01-01")
    assert published.tables["orders"].files == ["orders/part-imp1-00000.parquet", "orders/part-imp1-00001.parquet"]
    assert published.tables["orders"].row_count == 10
    file_uri = staging.file_uri("shop_eu", "2024-01-01", published.tables["orders"].files[0])
    assert file_uri == f"gs://{bucket.name}/staging/shop_eu/2024-01-01/orders/part-imp1-00000.parquet"


def test_replay_publishes_new_files_and_drops_the_old_ones(bucket, gcs_client, tmp_path):
    staging = GcsParquetStore(f"gs://{bucket.name}", client=gcs_client)
    staging.publish(tmp_path / "a", write_import(tmp_path / "a", rows=4), "imp1")
    staging.publish(tmp_path / "b", write_import(tmp_path / "b", rows=6), "imp2")
    other = write_import(tmp_path / "c", rows=2, dump_date="2024-01-02")
    staging.publish(tmp_path / "c", other, "imp3")

    names = sorted(blob.name for blob in gcs_client.list_blobs(bucket.name))
    assert names == [
        "shop_eu/2024-01-01/_manifest.json",
        "shop_eu/2024-01-01/orders/part-imp2-00000.parquet",
        "shop_eu/2024-01-01/orders/part-imp2-00001.parquet",
        "shop_eu/2024-01-02/_manifest.json",
        "shop_eu/2024-01-02/orders/part-imp3-00000.parquet",
        "shop_eu/2024-01-02/orders/part-imp3-00001.parquet",
    ]
    assert staging.read_manifest("shop_eu", "2024-01-01").tables["orders"].row_count == 6
    with bucket.blob("shop_eu/2024-01-01/orders/part-imp2-00001.parquet").open("rb") as handle:
        assert pq.read_table(handle)["id"].to_pylist() == [3, 4, 5]


def test_read_schema_reads_footers_and_refuses_files_that_disagree(bucket, gcs_client, tmp_path):
    store = GcsParquetStore(f"gs://{bucket.name}/imports", client=gcs_client)
    manifest = write_import(tmp_path / "one", rows=4)
    store.publish(tmp_path / "one", manifest, import_id="run1")
    published = store.read_manifest("shop_eu", "2024-01-01")
    uris = [store.file_uri("shop_eu", "2024-01-01", name) for name in published.tables["orders"].files]
    assert store.read_schema(uris) == pa.schema([pa.field("id", pa.int64())])

    odd = "imports/shop_eu/2024-01-01/orders/part-odd-00000.parquet"
    pq.write_table(pa.table({"id": pa.array(["x"])}), tmp_path / "odd.parquet")
    bucket.blob(odd).upload_from_filename(str(tmp_path / "odd.parquet"))
    with pytest.raises(InconsistentParquet, match="part-odd"):
        store.read_schema([*uris, f"gs://{bucket.name}/{odd}"])
