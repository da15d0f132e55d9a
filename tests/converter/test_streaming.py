"""Memory stays bounded: a long INSERT is written out in row groups before it ends."""

from __future__ import annotations

import pyarrow.parquet as pq

from elt_pipeline.converter import convert_dump
from elt_pipeline.converter.convert import BATCH_ROWS
from tests.converter.dumps import write_dump


def test_single_long_insert_is_written_in_row_groups(tmp_path):
    rows = BATCH_ROWS * 2 + 123
    values = ",\n".join(f"({i},'n{i}','2020-01-02',{i % 1000}.25)" for i in range(1, rows + 1))
    dump = write_dump(tmp_path / "d.sql.gz", f"INSERT INTO `people` VALUES {values};\n", compress=True)
    manifest = convert_dump(dump, tmp_path / "out")
    table = manifest.tables["people"]
    assert table.row_count == rows
    parquet = pq.ParquetFile(tmp_path / "out" / table.files[0])
    assert parquet.metadata.num_row_groups >= 2  # flushed before the statement ended
    ids = parquet.read(columns=["id"]).column("id").to_pylist()
    assert ids == list(range(1, rows + 1))
