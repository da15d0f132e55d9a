"""Two loads of one partition that interleave (a UI replay while a sensor run is in flight, or a
`dagster dev` without the tag limits): load L1 read the staging manifest M1, a newer import
published M2, L2 loaded M2; when L1 commits, the warehouse must keep M2. The warehouse records
which import each partition holds (`_elt_partition_loads`) and refuses an older one.
(The BigQuery twin of the DuckDB test is in tests/gcp/test_gcp_load_ordering.py, by its fixtures.)
"""

from __future__ import annotations

import gzip
import threading
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from elt_pipeline.defs.partitions import dump_partition_key
from elt_pipeline.lib.manifest import ColumnInfo, Manifest, TableManifest
from elt_pipeline.lib.sample_data import SourceHistory, landing_key, render_dump
from elt_pipeline.lib.storage.local import LocalParquetStore
from elt_pipeline.lib.warehouse import ImportVersion, Partition, StagedTable, StaleImport
from elt_pipeline.lib.warehouse.duckdb import DuckDBWarehouse
from tests.support.orchestration import IMPORT_JOB, LOAD_JOB
from tests.support.pipelines import RAW_TABLES
from tests.support.proxied_pipeline import import_and_load, proxied_pipeline

PARTITION = Partition("shop_eu", "2024-01-01")
OLDER_ROWS, NEWER_ROWS = 3, 5


def converted(folder: Path, number: int, rows: int) -> Manifest:
    """An import's converter output: one `orders` file whose rows all say `number`."""
    (folder / "orders").mkdir(parents=True)
    pq.write_table(pa.table({"import_no": pa.array([number] * rows, pa.int64())}), folder / "orders/part-00000.parquet")
    return Manifest(
        tables={
            "orders": TableManifest(
                row_count=rows,
                files=["orders/part-00000.parquet"],
                columns=[ColumnInfo("import_no", "int(11)", "int64", nullable=False)],
            )
        },
        converter_version="test",
        dump_uri=f"dump-{number}.sql",
        dump_sha256=f"{number:064d}",
        dump_bytes=1,
        source_db=PARTITION.source_db,
        dump_date=PARTITION.dump_date,
    )


def two_imports(store, tmp_path: Path) -> list[tuple[ImportVersion, Path]]:
    """Publish an older then a newer import of PARTITION; each one's version and local files."""
    published = []
    for number, rows in ((1, OLDER_ROWS), (2, NEWER_ROWS)):
        folder = tmp_path / f"import{number}"
        store.publish(folder, converted(folder, number, rows), import_id=f"import0{number}")
        manifest = store.read_manifest(PARTITION.source_db, PARTITION.dump_date)
        published.append((ImportVersion(manifest.import_id, manifest.publish_version), folder))
    assert published[1][0].version > published[0][0].version  # staging's publish order
    return published


def staged(uri: str) -> dict[str, StagedTable]:
    return {"orders": StagedTable([uri], pa.schema([("import_no", pa.int64())]))}


def assert_refuses_older_keeps_newer(warehouse, older, newer, older_uri, newer_uri, rows) -> None:
    """Newer loaded, then the older one commits: refused naming both, nothing changed; a replay
    of the newer one (same import) still loads."""
    warehouse.replace_partitions(PARTITION, staged(newer_uri), loading=newer)
    assert rows() == [2] * NEWER_ROWS

    with pytest.raises(StaleImport) as refused:
        warehouse.replace_partitions(PARTITION, staged(older_uri), loading=older)

    assert "import01" in str(refused.value) and "import02" in str(refused.value)
    assert rows() == [2] * NEWER_ROWS
    warehouse.replace_partitions(PARTITION, staged(newer_uri), loading=newer)  # a UI replay
    assert rows() == [2] * NEWER_ROWS


def test_duckdb_refuses_an_older_import_after_a_newer_one(tmp_path):
    (older, older_files), (newer, newer_files) = two_imports(LocalParquetStore(tmp_path / "parquet"), tmp_path)
    warehouse = DuckDBWarehouse(tmp_path / "warehouse.duckdb", "raw")

    def rows() -> list[int]:
        import duckdb

        with duckdb.connect(str(warehouse.path), read_only=True) as connection:
            return [row[0] for row in connection.execute("select import_no from raw.orders").fetchall()]

    assert_refuses_older_keeps_newer(
        warehouse,
        older,
        newer,
        str(older_files / "orders/part-00000.parquet"),
        str(newer_files / "orders/part-00000.parquet"),
        rows,
    )


@pytest.mark.gcp
@pytest.mark.slow
def test_a_load_overtaken_by_a_newer_import_leaves_the_newer_dump_through_the_real_jobs(emulators, tmp_path):
    """L1 (the sensor's load of the first dump) is held at the proxy just before its first
    MERGE; meanwhile a re-dump is imported and loaded by L2; then L1 goes on."""
    source, day = PARTITION.source_db, date.fromisoformat(PARTITION.dump_date)
    with proxied_pipeline(tmp_path, emulators, [source]) as (pipeline, _, bq_proxy):
        pipeline.land([day])
        imported = pipeline.daemon.execute("landed_dumps", pipeline.daemon.tick_landing_sensor()[0])
        assert imported.success
        first = pipeline.manifest(source, day)
        held = bq_proxy.hold("POST", r"/jobs$", "_elt_marker")
        load = pipeline.defs.resolve_job_def(LOAD_JOB)
        key = dump_partition_key(source, day.isoformat())
        l1 = {}
        thread = threading.Thread(
            target=lambda: l1.update(
                result=load.execute_in_process(
                    partition_key=key, instance=pipeline.daemon.instance, raise_on_error=False
                )
            )
        )
        thread.start()
        assert held.reached.wait(120), "L1 never reached its MERGE"

        redump = render_dump(SourceHistory(source).snapshot(date(2024, 1, 20)))  # more customers and orders
        pipeline.landing.put(landing_key(source, day), gzip.compress(redump.encode()))
        l2_runs = import_and_load(pipeline)  # the re-dump's import, then the sensor's load L2
        held.release()
        thread.join(300)

        second = pipeline.manifest(source, day)
        assert {r.dagster_run.job_name for r in l2_runs} == {IMPORT_JOB, LOAD_JOB}
        assert all(r.success for r in l2_runs)
        assert second.publish_version > first.publish_version
        assert not l1["result"].success
        message = l1["result"].failure_data_for_node("raw_tables").user_failure_data.description
        assert first.import_id in message and second.import_id in message, message
        for table in RAW_TABLES:  # the warehouse holds the newer dump, whole
            assert pipeline.raw_count(table, source, day) == second.tables[table].row_count, table
        assert any(second.tables[t].row_count != first.tables[t].row_count for t in RAW_TABLES)
