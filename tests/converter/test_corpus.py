"""Convert the shared corpus of real mariadb-dump files and check them against groundtruth.json."""

from __future__ import annotations

import datetime as dt
import json
import zlib
from decimal import Decimal

import pytest

from elt_pipeline.converter import convert_dump
from tests.converter.oracle import read_parquet
from tests.support.corpus import CORPUS_DUMPS, corpus_dir
from tests.support.required import skip_or_fail

if not CORPUS_DUMPS:
    skip_or_fail(f"no corpus dumps in {corpus_dir()} (set ELT_CORPUS_DIR)", module_level=True)


@pytest.fixture(scope="module")
def groundtruth() -> dict:
    return json.loads((corpus_dir() / "groundtruth.json").read_text())


def canonical(value, mysql_type: str) -> bytes | None:
    """The groundtruth's canonical bytes of a converted value (see its `definition`)."""
    if value is None:
        return None
    base = mysql_type.split("(")[0].split()[0].lower()
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, Decimal):
        return format(value, "f").encode()
    if isinstance(value, dt.datetime):
        fsp = int(mysql_type.split("(")[1].rstrip(")")) if "(" in mysql_type else 0
        text = value.strftime("%Y-%m-%d %H:%M:%S")
        return (text + (f".{value.microsecond:06d}"[: fsp + 1] if fsp else "")).encode()
    if isinstance(value, dt.date):
        return value.isoformat().encode()
    if base in ("float", "double"):
        raise ValueError("no canonical float text")
    return str(value).encode()


@pytest.mark.parametrize("dump", CORPUS_DUMPS, ids=[d.name for d in CORPUS_DUMPS])
def test_corpus_dump_matches_groundtruth(dump, groundtruth, tmp_path):
    database = dump.name.split(".")[0]
    expected_tables = groundtruth["databases"][database]["tables"]
    manifest = convert_dump(dump, tmp_path / "out")
    assert set(manifest.tables) == set(expected_tables)
    for name, expected in expected_tables.items():
        table = manifest.tables[name]
        data = read_parquet(tmp_path / "out", table)
        assert table.row_count == data.num_rows == expected["rows"], name
        assert [c.name for c in table.columns] == [c["name"] for c in expected["columns"]]
        canon_columns = []
        for info, truth in zip(table.columns, expected["columns"]):
            assert info.mysql_type == truth["type"], (name, info.name)
            values = data.column(info.name).to_pylist()
            canon = [canonical(v, info.mysql_type) for v in values]
            canon_columns.append(canon)
            assert sum(v is None for v in values) == truth["nulls"], (name, info.name)
            assert sum(len(v) for v in canon if v is not None) == truth["bytes"], (name, info.name)
            present = [v for v in values if v is not None]
            if "sum" in truth:
                assert Decimal(sum(present)) == Decimal(truth["sum"]), (name, info.name)
                if present:
                    assert (Decimal(min(present)), Decimal(max(present))) == (
                        Decimal(truth["min"]),
                        Decimal(truth["max"]),
                    )
            elif truth.get("min") is not None:
                texts = [v for v in canon if v is not None]
                assert (min(texts).decode(), max(texts).decode()) == (truth["min"], truth["max"]), (name, info.name)
        crc = 0
        for row in zip(*canon_columns):
            crc += zlib.crc32(b"".join(b"N" if v is None else b"%d:" % len(v) + v for v in row))
        assert str(crc % 2**64) == expected["row_crc_sum"], name
