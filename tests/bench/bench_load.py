"""Benchmark: per-partition costs after the converter, for the deploy README's sizing table.

    .venv/bin/python tests/bench/bench_load.py [--mb 220] [--workdir DIR]

Converts the converter benchmark's generated dump (bench_converter.generate, same seed and
shape: two tables, 14 column types) in-process, then loads the converted partition into a
DuckDB raw dataset with the project's own `DuckDBWarehouse.replace_partitions` twice: the first
load creates the tables, the second replaces the same partition (delete + insert in one
transaction, what every reload does). Prints seconds and MB/s per stage against the dump's
uncompressed size, wall and CPU (all threads of the process: the machine is shared, CPU
seconds are the load-independent figure). Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import pyarrow.parquet as pq  # noqa: E402

from elt_pipeline.converter import convert_dump  # noqa: E402
from elt_pipeline.lib.warehouse import Partition, StagedTable  # noqa: E402
from elt_pipeline.lib.warehouse.duckdb import DuckDBWarehouse  # noqa: E402
from tests.bench.bench_converter import generate  # noqa: E402


def staged_tables(out: Path, manifest) -> dict[str, StagedTable]:
    tables = {}
    for name, table in manifest.tables.items():
        uris = [str(out / relative) for relative in table.files]
        tables[name] = StagedTable(uris=uris, schema=pq.read_schema(uris[0]))
    return tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=220, help="uncompressed dump size to generate (MB)")
    parser.add_argument("--workdir", type=Path, default=None, help="scratch folder (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.workdir) as scratch:
        work = Path(scratch)
        dump = work / "bench.sql"
        size_mb = generate(dump, args.mb) / 1e6
        out = work / "parquet"
        started, cpu = time.perf_counter(), time.process_time()
        manifest = convert_dump(dump, out, accept_unconfirmed_end=True)
        measured = [("convert (in-process)", time.perf_counter() - started, time.process_time() - cpu)]
        parquet_mb = sum(path.stat().st_size for path in out.rglob("*.parquet")) / 1e6
        rows = sum(table.row_count for table in manifest.tables.values())
        warehouse = DuckDBWarehouse(work / "warehouse.duckdb", "elt_raw")
        partition = Partition(source_db="bench", dump_date="2024-01-01")
        tables = staged_tables(out, manifest)
        for stage in ("DuckDB first load", "DuckDB replace"):
            started, cpu = time.perf_counter(), time.process_time()
            warehouse.replace_partitions(partition, tables)
            measured.append((stage, time.perf_counter() - started, time.process_time() - cpu))
    print(f"dump {size_mb:.1f} MB, {rows} rows, Parquet {parquet_mb:.1f} MB")
    print("| stage | wall s | CPU s | MB of dump per wall s | CPU s per GB of dump |")
    print("|---|---|---|---|---|")
    for stage, wall, cpu in measured:
        print(f"| {stage} | {wall:.2f} | {cpu:.2f} | {size_mb / wall:.1f} | {cpu / size_mb * 1000:.1f} |")


if __name__ == "__main__":
    main()
