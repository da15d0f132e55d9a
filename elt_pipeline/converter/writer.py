"""Per-table Parquet output: part files of bounded size, one row group per batch."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROWS_PER_FILE = 1_000_000


class TableWriter:
    """Writes `<out_dir>/<table>/part-NNNNN.parquet`; `files` are relative to out_dir."""

    def __init__(self, out_dir: Path, table: str, schema: pa.Schema, dictionary_columns: list[str]):
        self._dictionary = dictionary_columns  # low-cardinality columns (ENUM/SET)
        self._folder = out_dir / table
        self._table = table
        self.schema = schema
        self.files: list[str] = []
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._rows_in_file = 0

    def write(self, batch: pa.RecordBatch) -> None:
        if self._writer is None or self._rows_in_file >= ROWS_PER_FILE:
            self._open()
        self._writer.write_batch(batch, row_group_size=max(1, batch.num_rows))
        self._rows_in_file += batch.num_rows
        self.rows += batch.num_rows

    def _open(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._folder.mkdir(parents=True, exist_ok=True)
        name = f"part-{len(self.files):05d}.parquet"
        self._writer = pq.ParquetWriter(
            self._folder / name, self.schema, compression="snappy", use_dictionary=self._dictionary
        )
        self.files.append(f"{self._table}/{name}")
        self._rows_in_file = 0

    def close(self) -> None:
        """Close the open part; a table that got no rows still gets one empty part."""
        if self._writer is None and not self.files:
            self._open()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
