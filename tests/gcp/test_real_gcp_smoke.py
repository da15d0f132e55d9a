"""Smoke test against a real GCP project: what the emulators cannot prove (see deploy/README.md).

Skipped unless ELT_REAL_GCP_PROJECT is set. Uses Application Default Credentials; creates a
temporary bucket and dataset and deletes them afterwards.

    ELT_REAL_GCP_PROJECT=my-project ELT_REAL_GCP_LOCATION=EU \\
      .venv/bin/python -m pytest tests/gcp/test_real_gcp_smoke.py -v
"""

from __future__ import annotations

import datetime as dt
import io
import os
import uuid
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

PROJECT = os.environ.get("ELT_REAL_GCP_PROJECT")
LOCATION = os.environ.get("ELT_REAL_GCP_LOCATION", "EU")

pytestmark = pytest.mark.skipif(not PROJECT, reason="set ELT_REAL_GCP_PROJECT (and ADC) to run against real GCP")


@pytest.fixture(scope="module")
def real():
    from google.cloud import bigquery, storage

    for variable in ("STORAGE_EMULATOR_HOST", "ELT_BQ_API_ENDPOINT"):
        assert not os.environ.get(variable), f"unset {variable}: this test must reach real GCP"
    suffix = uuid.uuid4().hex[:10]
    gcs = storage.Client(project=PROJECT)
    bucket = gcs.create_bucket(f"{PROJECT}-elt-smoke-{suffix}", location=LOCATION)
    bq = bigquery.Client(project=PROJECT, location=LOCATION)
    dataset = f"elt_smoke_{suffix}"
    bq.create_dataset(f"{PROJECT}.{dataset}")  # terraform's job; a load never creates datasets
    try:
        yield gcs, bucket, bq, dataset
    finally:
        bq.delete_dataset(f"{PROJECT}.{dataset}", delete_contents=True, not_found_ok=True)
        bucket.delete(force=True)


def put(bucket, table: pa.Table):
    from elt_pipeline.lib.storage.gcs import GcsParquetStore
    from elt_pipeline.lib.warehouse import StagedTable

    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    name = f"parquet/{uuid.uuid4().hex}/part-00000.parquet"
    bucket.blob(name).upload_from_string(buffer.getvalue())
    uris = [f"gs://{bucket.name}/{name}"]
    return StagedTable(uris=uris, schema=GcsParquetStore(f"gs://{bucket.name}/parquet").read_schema(uris))


def test_landing_listing_and_bigquery_partition_replace_on_real_gcp(real):
    from elt_pipeline.lib.storage.gcs import GcsLanding
    from elt_pipeline.lib.warehouse import Partition, SchemaDriftError
    from elt_pipeline.lib.warehouse.bigquery import BigQueryWarehouse

    gcs, bucket, bq, dataset = real
    bucket.blob("landing/shop_eu/2024-01-01/a.sql.gz").upload_from_string(b"x")
    bucket.blob("landing/shop_eu/2024-01-02/a.sql.gz").upload_from_string(b"y")
    landing = GcsLanding(f"gs://{bucket.name}/landing", client=gcs)
    assert [f.key for f in landing.list_from("shop_eu/", "shop_eu/2024-01-02/")] == ["shop_eu/2024-01-02/a.sql.gz"]
    assert landing.top_level_names() == ["shop_eu"]

    source = pa.table(
        {
            "id": pa.array([1, 2], pa.int64()),
            "big": pa.array([2**64 - 1, 0], pa.uint64()),
            "wide": pa.array([Decimal("1" * 35 + "." + "5" * 30), Decimal(0)], pa.decimal256(65, 30)),
            "created": pa.array([dt.datetime(2024, 1, 1, 12, 0, 0, 123456)] * 2, pa.timestamp("us")),
            "stamped": pa.array([dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)] * 2, pa.timestamp("us", tz="UTC")),
        }
    )
    warehouse = BigQueryWarehouse(PROJECT, dataset, LOCATION, client=bq)
    first, other = Partition("shop_eu", "2024-01-01"), Partition("shop_us", "2024-01-01")
    warehouse.replace_partition("orders", first, put(bucket, source))
    warehouse.replace_partition("orders", other, put(bucket, source))
    warehouse.replace_partition("orders", first, put(bucket, source.slice(0, 1)))
    assert warehouse.partition_row_count("orders", first) == 1
    assert warehouse.partition_row_count("orders", other) == 2
    (row,) = (
        bq.query(f"SELECT * FROM `{PROJECT}.{dataset}.orders` WHERE _source_db = 'shop_eu'")
        .to_arrow(create_bqstorage_client=False)
        .to_pylist()
    )
    assert row["big"] == Decimal(2**64 - 1)
    assert Decimal(row["wide"]) == Decimal("1" * 35 + "." + "5" * 30)
    assert row["created"] == dt.datetime(2024, 1, 1, 12, 0, 0, 123456)

    added = warehouse.replace_partition(
        "orders", first, put(bucket, source.append_column("note", pa.array(["a", "b"])))
    )
    assert added.added_columns == ["note"] and ("note", "STRING") in added.columns
    with pytest.raises(SchemaDriftError):
        warehouse.replace_partition("orders", first, put(bucket, source.set_column(0, "id", pa.array(["x", "y"]))))
    assert warehouse.partition_row_count("orders", first) == 2
