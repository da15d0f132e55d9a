"""The `elt-pipeline` command line: convert a dump, land the sample dumps."""

import json
import os
import subprocess
import sys
from datetime import date

import pyarrow.parquet as pq

from elt_pipeline.lib.sample_data import SourceHistory, render_dump, write_dump

SNAPSHOT = SourceHistory("shop_eu").snapshot(date(2024, 1, 2))


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "elt_pipeline.cli", *args], capture_output=True, text=True, timeout=300, env=env
    )


def test_convert_writes_parquet_per_table_and_a_manifest(tmp_path):
    dump = write_dump(SNAPSHOT, tmp_path / "shop_eu.sql.gz")
    result = run_cli("convert", str(dump), "--out", str(tmp_path / "out"))

    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "out" / "_manifest.json").read_text())
    for table, rows in SNAPSHOT.tables.items():
        assert manifest["tables"][table]["row_count"] == len(rows)
        files = sorted((tmp_path / "out" / table).glob("*.parquet"))
        assert sum(pq.read_metadata(f).num_rows for f in files) == len(rows)
    orders = pq.read_table(tmp_path / "out" / "orders").to_pylist()
    assert [(o["id"], o["status"], o["ordered_at"]) for o in orders] == [
        (row[0], row[2], row[3]) for row in SNAPSHOT.tables["orders"]
    ]


def test_convert_refuses_a_cut_dump_with_file_and_line(tmp_path):
    text = render_dump(SNAPSHOT)
    dump = tmp_path / "cut.sql"
    dump.write_text(text[: text.index("INSERT INTO `orders`") + 200])
    result = run_cli("convert", str(dump), "--out", str(tmp_path / "out"))

    assert result.returncode == 1
    assert str(dump) in result.stderr and "line" in result.stderr, result.stderr
    assert not (tmp_path / "out" / "_manifest.json").exists()


def test_seed_lands_one_dump_per_source_and_date(tmp_path):
    result = run_cli("seed", "--days", "2", env={**os.environ, "ELT_LANDING_URI": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    landed = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.sql.gz"))
    assert landed == sorted(
        f"{source}/2024-01-0{day}/{source}.sql.gz" for source in ("shop_eu", "shop_us", "shop_apac") for day in (1, 2)
    )


def test_demo_lands_the_three_days_before_today_and_partitions_start_with_them(tmp_path):
    from elt_pipeline.cli import demo_dates, write_demo_config
    from elt_pipeline.defs.partitions import dump_partitions
    from elt_pipeline.lib.pipeline_config import load_pipeline_config
    from elt_pipeline.lib.sample_data import seed_landing
    from elt_pipeline.lib.storage.local import LocalLanding
    from elt_pipeline.settings import DEFAULT_PIPELINE_CONFIG

    today = date.today()
    dates = demo_dates(today)
    assert [(today - d).days for d in dates] == [3, 2, 1]

    config = load_pipeline_config(write_demo_config(DEFAULT_PIPELINE_CONFIG, tmp_path / "demo.yaml", dates[0]))
    keys = dump_partitions(config).get_partition_keys()
    # the 3 sample days plus today, whose dump has not landed yet: no years of empty partitions
    assert sorted({key.keys_by_dimension["dump_date"] for key in keys}) == [d.isoformat() for d in [*dates, today]]
    assert len(keys) == 4 * len(config.source_names)

    snapshots = seed_landing(LocalLanding(tmp_path / "landing"), config.source_names, dates)
    assert len(snapshots) == 9
    for snapshot in snapshots:  # a live shop: orders placed on each sample day
        placed_that_day = [row for row in snapshot.tables["orders"] if row[3].date() == snapshot.dump_date]
        assert placed_that_day, (snapshot.source_db, snapshot.dump_date)
