"""BigQueryWarehouse on bqemulator, loading Parquet from fake-gcs-server."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from elt_pipeline.lib.storage.gcs import GcsParquetStore
from elt_pipeline.lib.warehouse import Partition, SchemaDriftError, StagedTable
from elt_pipeline.lib.warehouse.bigquery import SCRATCH_TABLE_PREFIX, BigQueryWarehouse

pytestmark = pytest.mark.gcp

EU1 = Partition("shop_eu", "2024-01-01")
US1 = Partition("shop_us", "2024-01-01")
EU2 = Partition("shop_eu", "2024-01-02")


def orders(ids, amount_offset=0, **extra) -> pa.Table:
    ids = list(ids)
    columns = {
        "id": pa.array(ids, pa.int64()),
        "big": pa.array([2**64 - 1 - i for i in ids], pa.uint64()),
        "amount": pa.array([Decimal(f"{i + amount_offset}.25") for i in ids], pa.decimal128(10, 2)),
        # No decimal256/BIGNUMERIC column: bqemulator stores DECIMAL in DuckDB (max width 38) and
        # cannot create one; the mapping is unit-tested and the real-GCP smoke test loads one.
        "created": pa.array([dt.datetime(2024, 1, 1, 12, 30, 15, 123456) for _ in ids], pa.timestamp("us")),
        "birthday": pa.array([dt.date(1990, 5, 17) for _ in ids], pa.date32()),
        "name": pa.array([f"nöm {i}" if i % 3 else None for i in ids], pa.string()),
        "raw": pa.array([bytes([i % 256, 0, 255]) for i in ids], pa.binary()),
    }
    for name, array in extra.items():
        columns[name] = array
    return pa.table(columns)


@pytest.fixture
def put(bucket, gcs_client):
    """Upload an Arrow table as Parquet files; return them as the load step stages them."""
    store = GcsParquetStore(f"gs://{bucket.name}/staging", client=gcs_client)

    def put(table: pa.Table, parts: int = 2) -> StagedTable:
        uris = []
        step = max(1, -(-table.num_rows // parts))
        for index in range(parts):
            buffer = io.BytesIO()
            pq.write_table(table.slice(index * step, step), buffer)
            name = f"staging/{uuid.uuid4().hex}/part-{index:05d}.parquet"
            bucket.blob(name).upload_from_string(buffer.getvalue())
            uris.append(f"gs://{bucket.name}/{name}")
        return StagedTable(uris=uris, schema=store.read_schema(uris))

    return put


@pytest.fixture
def warehouse(emulators, bq_client, bq_dataset):
    return BigQueryWarehouse(emulators.project, bq_dataset, "EU", client=bq_client)


def rows(warehouse, table="orders"):
    result = warehouse.client.query(
        f"SELECT * FROM `{warehouse.project}.{warehouse.dataset}.{table}` ORDER BY _source_db, _dump_date, id"
    ).to_arrow(create_bqstorage_client=False)
    return result.to_pylist()


def test_first_load_creates_a_partitioned_clustered_table_with_exact_values(warehouse, put):
    source = orders(range(7))
    result = warehouse.replace_partition("orders", EU1, put(source))

    assert result.row_count == 7
    assert result.added_columns == [] and result.absent_columns == []
    assert result.columns == [
        ("id", "INT64"),
        ("big", "NUMERIC"),
        ("amount", "NUMERIC"),
        ("created", "DATETIME"),
        ("birthday", "DATE"),
        ("name", "STRING"),
        ("raw", "BYTES"),
        ("_source_db", "STRING"),
        ("_dump_date", "DATE"),
    ]
    table = warehouse.client.get_table(f"{warehouse.project}.{warehouse.dataset}.orders")
    assert table.time_partitioning.field == "_dump_date"
    assert table.clustering_fields == ["_source_db"]

    loaded = rows(warehouse)
    expected = [dict(row, _source_db="shop_eu", _dump_date=dt.date(2024, 1, 1)) for row in source.to_pylist()]
    assert len(loaded) == len(expected)
    for got, want in zip(loaded, expected, strict=True):
        assert got.keys() == want.keys()
        for key in want:
            if key in ("big", "amount"):
                assert Decimal(got[key]) == Decimal(want[key]), key
            else:
                assert got[key] == want[key], key
    assert warehouse.partition_row_count("orders", EU1) == 7
    assert warehouse.partition_row_count("orders", EU2) == 0
    assert warehouse.partition_row_count("missing", EU1) == 0


def test_replace_touches_exactly_one_partition_and_replay_is_idempotent(warehouse, put):
    warehouse.replace_partition("orders", EU1, put(orders(range(5))))
    warehouse.replace_partition("orders", US1, put(orders(range(100, 104))))
    warehouse.replace_partition("orders", EU2, put(orders(range(200, 203))))
    before = rows(warehouse)
    others_before = [row for row in before if (row["_source_db"], str(row["_dump_date"])) != ("shop_eu", "2024-01-01")]

    replacement = put(orders(range(50, 53), amount_offset=1000))
    result = warehouse.replace_partition("orders", EU1, replacement)
    after = rows(warehouse)

    assert result.row_count == 3
    eu1 = [row for row in after if (row["_source_db"], str(row["_dump_date"])) == ("shop_eu", "2024-01-01")]
    assert [row["id"] for row in eu1] == [50, 51, 52]
    assert [row for row in after if row not in eu1] == others_before

    warehouse.replace_partition("orders", EU1, replacement)  # replay: same files, same table
    assert rows(warehouse) == after
    leftovers = [t.table_id for t in warehouse.client.list_tables(f"{warehouse.project}.{warehouse.dataset}")]
    assert leftovers == ["orders"], "staging tables must be dropped"
    assert not any(name.startswith(SCRATCH_TABLE_PREFIX) for name in leftovers)


def test_additive_drift_adds_the_column(warehouse, put):
    warehouse.replace_partition("orders", EU1, put(orders(range(3))))
    with_note = orders(range(3, 5), note=pa.array(["a", "b"], pa.string())).drop_columns(["raw"])

    result = warehouse.replace_partition("orders", EU2, put(with_note, parts=1))

    assert result.added_columns == ["note"]
    assert result.absent_columns == ["raw"]
    assert ("note", "STRING") in result.columns
    loaded = {row["id"]: row for row in rows(warehouse)}
    assert [loaded[i]["note"] for i in range(5)] == [None, None, None, "a", "b"]
    assert loaded[4]["raw"] is None and loaded[0]["raw"] == bytes([0, 0, 255])


def test_incompatible_drift_fails_and_changes_nothing(warehouse, put):
    warehouse.replace_partition("orders", EU1, put(orders(range(4))))
    table_id = f"{warehouse.project}.{warehouse.dataset}.orders"
    schema_before = warehouse.client.get_table(table_id).schema
    before = rows(warehouse)
    changed = orders(range(10, 12)).set_column(0, "id", pa.array(["x", "y"], pa.string()))
    changed = changed.append_column("note", pa.array(["new", "col"]))

    with pytest.raises(SchemaDriftError, match=r"orders\.id: INT64 -> STRING"):
        warehouse.replace_partition("orders", EU1, put(changed))

    assert warehouse.client.get_table(table_id).schema == schema_before  # not even the new column
    assert rows(warehouse) == before
    assert [t.table_id for t in warehouse.client.list_tables(f"{warehouse.project}.{warehouse.dataset}")] == ["orders"]


def test_partition_columns_in_the_source_are_refused(warehouse, put):
    clash = pa.table({"id": [1], "_dump_date": ["2024-01-01"]})
    with pytest.raises(SchemaDriftError, match="_dump_date"):
        warehouse.replace_partition("orders", EU1, put(clash, parts=1))
