"""Benchmark: converter vs `gzip -dc` vs `mariadb < dump` on a generated ~200 MB+ dump.

    .venv/bin/python tests/bench/bench_converter.py [--mb 220] [--workdir DIR] [--baseline-tree DIR]

Generates a seeded mariadb-dump-shaped dump with varied column types, gzips it, then measures
(all on the same .sql.gz, best of --repeat runs each): `gzip -dc > /dev/null` (the decompression
floor), `gzip -dc | mariadb` into a private MariaDB server (what the Cloud SQL import route
costs), and `convert_dump` in a child process (throughput and peak RSS). It also measures the
converter's peak RSS on a dump whose data is a single 10 MB INSERT line.
With --baseline-tree (a source tree of another commit with its tokenizer built, see the README)
that tree's converter runs on the same dump, alternating with this one, and the ratio is printed.
Throughput is MB of uncompressed dump per second. Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support.mariadb import MariaDB  # noqa: E402

HEADER = """/*M!999999\\- enable the sandbox mode */
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
"""
TABLE = """
DROP TABLE IF EXISTS `{name}`;
CREATE TABLE `{name}` (
  `id` bigint(20) unsigned NOT NULL,
  `account` int(11) NOT NULL,
  `flag` tinyint(1) DEFAULT NULL,
  `amount` decimal(14,2) DEFAULT NULL,
  `ratio` double DEFAULT NULL,
  `name` varchar(120) DEFAULT NULL,
  `note` text DEFAULT NULL,
  `created` datetime(6) DEFAULT NULL,
  `day` date DEFAULT NULL,
  `updated` timestamp NULL DEFAULT NULL,
  `span` time DEFAULT NULL,
  `kind` enum('new','paid','void') DEFAULT NULL,
  `payload` blob DEFAULT NULL,
  `meta` json DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
LOCK TABLES `{name}` WRITE;
/*!40000 ALTER TABLE `{name}` DISABLE KEYS */;
"""
TABLE_END = """/*!40000 ALTER TABLE `{name}` ENABLE KEYS */;
UNLOCK TABLES;
"""
TRAILER = "\n-- Dump completed on 2026-11-23 00:00:00\n"
WORDS = [
    "alpha",
    "beta",
    "O\\'Brien",
    "café",
    "naïve",
    "中文",
    "😀",
    "back\\\\slash",
    "line\\nbreak",
    "tab\\t",
    'quote\\"d',
    "semi;colon",
    "paren),(",
    "plain",
    "text",
    "value",
    "x",
]


def _escape_bytes(data: bytes) -> str:
    out = (
        data.replace(b"\\", b"\\\\")
        .replace(b"'", b"\\'")
        .replace(b"\0", b"\\0")
        .replace(b"\n", b"\\n")
        .replace(b"\r", b"\\r")
        .replace(b"\x1a", b"\\Z")
    )
    return out.decode("utf-8", errors="surrogateescape")  # raw bytes, written back unchanged


def _rows(rng: random.Random, start: int, count: int) -> list[str]:
    rows = []
    for row_id in range(start, start + count):
        name = " ".join(rng.choices(WORDS, k=rng.randint(1, 5)))
        note = "NULL" if rng.random() < 0.2 else "'" + " ".join(rng.choices(WORDS, k=rng.randint(3, 25))) + "'"
        payload = "NULL" if rng.random() < 0.5 else "'" + _escape_bytes(rng.randbytes(rng.randint(0, 24))) + "'"
        rows.append(
            f"({row_id},{rng.randint(-(2**31), 2**31 - 1)},{rng.randint(0, 1)},"
            f"{rng.randint(-(10**11), 10**11)}.{rng.randint(0, 99):02d},{rng.random() * 1e6!r},'{name}',{note},"
            f"'20{rng.randint(0, 25):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999999):06d}',"
            f"'{rng.randint(1990, 2030)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}',"
            f"'20{rng.randint(10, 37):02d}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} 0{rng.randint(0, 9)}:00:00',"
            f"'{rng.choice(['-', ''])}{rng.randint(0, 838)}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}',"
            f"'{rng.choice(['new', 'paid', 'void'])}',{payload},"
            f'\'{{"k": {rng.randint(0, 999)}, "tags": ["a", "b"]}}\')'
        )
    return rows


def generate(path: Path, megabytes: int, seed: int = 42) -> int:
    """Write a plain dump of about `megabytes` MB; returns its size."""
    rng = random.Random(seed)
    target = megabytes * 1_000_000
    with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as out:
        out.write(HEADER)
        written, row_id = 0, 0
        for table in ("events", "orders"):
            out.write(TABLE.format(name=table))
            while written < target * (1 if table == "orders" else 0.6):
                rows = _rows(rng, row_id, 4000)
                row_id += len(rows)
                statement = f"INSERT INTO `{table}` VALUES " + ",".join(rows) + ";\n"
                out.write(statement)
                written += len(statement)
            out.write(TABLE_END.format(name=table))
        out.write(TRAILER)
    return path.stat().st_size


def generate_single_line(path: Path, megabytes: int = 10, seed: int = 3) -> int:
    """A dump whose data is one INSERT statement on one line of about `megabytes` MB."""
    rng = random.Random(seed)
    rows, size, row_id = [], 0, 0
    while size < megabytes * 1_000_000:
        batch = _rows(rng, row_id, 1000)
        row_id += len(batch)
        rows.extend(batch)
        size += sum(len(r) for r in batch)
    with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as out:
        out.write(HEADER + TABLE.format(name="wide"))
        out.write("INSERT INTO `wide` VALUES " + ",".join(rows) + ";\n")
        out.write(TABLE_END.format(name="wide") + TRAILER)
    return path.stat().st_size


def gzip_file(plain: Path) -> Path:
    packed = plain.with_suffix(plain.suffix + ".gz")
    with open(plain, "rb") as src, gzip.open(packed, "wb", compresslevel=6) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    return packed


def timed(command: str, server_pid: int | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a shell command, plus the server's CPU if `server_pid`."""
    server_before = _process_cpu(server_pid) if server_pid else 0.0
    before = os.times()
    start = time.perf_counter()
    subprocess.run(command, shell=True, check=True)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    if server_pid:
        cpu += _process_cpu(server_pid) - server_before
    return wall, cpu


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds used so far by a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_converter(dump: Path, out: Path, tree: Path = ROOT) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak RSS in bytes) of `tree`'s convert_dump in a fresh child process."""
    code = (
        "import sys; from pathlib import Path; from elt_pipeline.converter import convert_dump; "
        "convert_dump(Path(sys.argv[1]), Path(sys.argv[2]))"
    )
    start = time.perf_counter()
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    process = subprocess.Popen([sys.executable, "-c", code, str(dump), str(out)], cwd=tree, env=environment)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"converter failed with status {status}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=220, help="uncompressed dump size to generate (MB)")
    parser.add_argument("--workdir", type=Path, default=None, help="scratch folder (default: a temp dir)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each measurement; the best is kept")
    parser.add_argument("--baseline-tree", type=Path, help="another commit's source tree (tokenizer built) to compare")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-converter-"))
    work.mkdir(parents=True, exist_ok=True)

    plain, packed, recorded = work / "bench.sql", work / "bench.sql.gz", work / "bench.size"
    if packed.exists() and recorded.exists() and recorded.read_text().split()[1] == str(args.mb):
        size = int(recorded.read_text().split()[0])  # reuse the dump generated by an earlier run
    else:
        size = generate(plain, args.mb)
        gzip_file(plain)
        plain.unlink()
        recorded.write_text(f"{size} {args.mb}")
    mb = size / 1e6
    print(f"dump: {mb:.1f} MB uncompressed, {packed.stat().st_size / 1e6:.1f} MB gzip ({packed})")

    repeat = range(args.repeat)
    gunzip = min(timed(f"gzip -dc '{packed}' > /dev/null") for _ in repeat)
    # A server sized for a bulk load (not the small test defaults), so the baseline is fair.
    shutil.rmtree(work / "mariadb", ignore_errors=True)
    server = MariaDB.start(
        work / "mariadb", server_args=("--innodb-buffer-pool-size=1G", "--innodb-log-file-size=512M")
    )
    try:
        client = f"mariadb --no-defaults --socket='{server.socket}' --user=root bench"
        imports = []
        for _ in repeat:
            server.execute("DROP DATABASE IF EXISTS bench; CREATE DATABASE bench")
            imports.append(timed(f"gzip -dc '{packed}' | {client}", server.process.pid))
        mariadb_import = min(imports)
    finally:
        server.stop()
    runs, baseline_runs = [], []
    for _ in repeat:  # alternating, so both see the same machine load
        shutil.rmtree(work / "out", ignore_errors=True)
        runs.append(run_converter(packed, work / "out"))
        if args.baseline_tree:
            shutil.rmtree(work / "out", ignore_errors=True)
            baseline_runs.append(run_converter(packed, work / "out", args.baseline_tree.resolve()))
    converter = min(run[:2] for run in runs)
    converter_rss = max(run[2] for run in runs)

    line = work / "single-line.sql"
    line_mb = generate_single_line(line) / 1e6
    shutil.rmtree(work / "out-line", ignore_errors=True)
    line_s, _, line_rss = run_converter(line, work / "out-line")

    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (other work skews wall time)")
    print(f"{'':>15}  {'wall':>8} {'MB/s':>8}   {'CPU':>8} {'MB/CPU-s':>8}")
    for label, (wall, cpu) in [("gzip -dc", gunzip), ("mariadb import", mariadb_import), ("converter", converter)]:
        print(f"{label:>15}: {wall:7.2f}s {mb / wall:8.1f}   {cpu:7.2f}s {mb / cpu:8.1f}")
    print(
        f"converter vs mariadb import: {mariadb_import[0] / converter[0]:.1f}x faster (wall), "
        f"{mariadb_import[1] / converter[1]:.1f}x less CPU (client + server)"
    )
    print(f"converter vs gzip -dc floor: {converter[0] / gunzip[0]:.1f}x slower (wall)")
    if baseline_runs:
        baseline = min(run[:2] for run in baseline_runs)
        print(
            f"baseline converter ({args.baseline_tree}): {baseline[0]:.2f}s wall, {baseline[1]:.2f}s CPU; "
            f"this tree / baseline: {converter[0] / baseline[0]:.2f} (wall), {converter[1] / baseline[1]:.2f} (CPU)"
        )
    print(f"converter peak RSS: {converter_rss / 2**20:.0f} MB")
    print(f"single {line_mb:.1f} MB INSERT line: {line_s:.2f} s, peak RSS {line_rss / 2**20:.0f} MB")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
