"""The warehouse ordering guard on bqemulator: a load of an older import after a newer one
changes nothing (see tests/faults/test_load_ordering.py for the scenario)."""

import pytest

from elt_pipeline.lib.storage.gcs import GcsParquetStore
from elt_pipeline.lib.warehouse.bigquery import BigQueryWarehouse
from tests.faults.test_load_ordering import assert_refuses_older_keeps_newer, two_imports


@pytest.mark.gcp
def test_bigquery_refuses_an_older_import_after_a_newer_one(tmp_path, gcs_client, bucket, bq_client, bq_dataset):
    store = GcsParquetStore(f"gs://{bucket.name}/imports", gcs_client)
    (older, older_files), (newer, newer_files) = two_imports(store, tmp_path)
    uris = []
    for name, files in (("older", older_files), ("newer", newer_files)):
        bucket.blob(f"kept/{name}.parquet").upload_from_filename(str(files / "orders/part-00000.parquet"))
        uris.append(f"gs://{bucket.name}/kept/{name}.parquet")
    warehouse = BigQueryWarehouse(bq_client.project, bq_dataset, "EU", bq_client)

    def rows() -> list[int]:
        table = f"{bq_client.project}.{bq_dataset}.orders"
        return [row.import_no for row in bq_client.query(f"SELECT import_no FROM `{table}`").result()]

    assert_refuses_older_keeps_newer(warehouse, older, newer, *uris, rows)
