"""No error can carry the value of a hashed or excluded column (issue 10): errors reach run failures,
event logs and compute logs. Hashed columns are hashed from the dumped bytes, never typed."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from elt_pipeline.converter import DumpError, convert_dump
from elt_pipeline.lib.pipeline_config import ColumnPolicy

SECRET = "SECRET-ann.o'neil@example.com"
PHONE = "SECRET-+44 20 7946 0958"
POLICY = {"contacts": ColumnPolicy(include=("id", "born"), hash=("email",), exclude=("phone",))}
SALT = "pepper"

HEAD = """-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
/*!40101 SET NAMES {charset} */;
CREATE TABLE `contacts` (
  `id` int NOT NULL,
  `email` varchar(80) DEFAULT NULL,
  `phone` varchar(40) DEFAULT NULL,
  `born` date DEFAULT NULL,
  PRIMARY KEY (`id`)
);
"""
TRAILER = "\n-- Dump completed on 2026-11-22 21:14:51\n"


def quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def write(tmp_path, rows: bytes, charset: str = "utf8mb4", trailer: bool = True):
    dump = tmp_path / "contacts.sql"
    head = HEAD.format(charset=charset).encode()
    dump.write_bytes(head + b"INSERT INTO `contacts` VALUES " + rows + (TRAILER.encode() if trailer else b""))
    return dump


def error_texts(error: BaseException) -> str:
    """Every message in the exception chain, suppressed context included."""
    texts, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        texts.append(f"{type(error).__name__}: {error} {error.args!r}")
        error = error.__cause__ or error.__context__
    return "\n".join(texts)


def refused(dump, out) -> DumpError:
    with pytest.raises(DumpError) as caught:
        convert_dump(dump, out, policies=POLICY, hash_salt=SALT)
    text = error_texts(caught.value)
    for secret in (SECRET, PHONE, "SECRET", "ann.o", "7946"):
        assert secret not in text, text
    assert str(dump) in str(caught.value) and caught.value.table == "contacts" and caught.value.line is not None
    return caught.value


def digest(value: bytes) -> str:
    return hashlib.sha256(SALT.encode() + value).hexdigest()


def test_hashed_column_is_hashed_from_its_bytes_even_when_not_utf8(tmp_path):
    invalid = SECRET.encode() + b"\xff\xfe"
    rows = b"(1,%s,%s,'2001-02-03'),(2,'" % (quoted(SECRET).encode(), quoted(PHONE).encode())
    rows += invalid.replace(b"'", b"\\'") + b"',NULL,NULL),(3,NULL,NULL,NULL);"
    manifest = convert_dump(write(tmp_path, rows), tmp_path / "out", policies=POLICY, hash_salt=SALT)
    table = pq.read_table(tmp_path / "out" / manifest.tables["contacts"].files[0]).to_pylist()
    assert [row["email"] for row in table] == [digest(SECRET.encode()), digest(invalid), None]
    assert "phone" not in table[0] and manifest.tables["contacts"].excluded_columns == ["phone"]


def test_converting_does_not_import_pandas(tmp_path):
    """Every import run converts in a fresh process: importing pandas there (as `pa.array` on a
    list does) would add about half a second of CPU to each. This dump takes every path that
    builds an array from Python values: a hashed column, latin1 text, zero and impossible dates,
    BIT."""
    rows = b"(1,'caf\xe9',NULL,'0000-00-00'),(2,NULL,NULL,'2021-02-31'),(3,'x',NULL,'2001-02-03');"
    bits = b"CREATE TABLE `flags` (`id` int NOT NULL, `note` text, `mask` bit(3), PRIMARY KEY (`id`));\n"
    bits += b"INSERT INTO `flags` VALUES (1,'d\xe9j\xe0',b'101'),(2,NULL,NULL);\n"
    dump = write(tmp_path, rows, "latin1", trailer=False)
    dump.write_bytes(dump.read_bytes() + b"\n" + bits + TRAILER.encode())
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from elt_pipeline.converter import convert_dump\n"
        "from elt_pipeline.lib.pipeline_config import ColumnPolicy\n"
        "from tests.converter.test_pii import POLICY, SALT\n"
        f"dump, out = Path({str(dump)!r}), Path({str(tmp_path / 'out')!r})\n"
        "policies = {**POLICY, 'flags': ColumnPolicy(include=('id', 'note', 'mask'))}\n"
        "tables = convert_dump(dump, out, policies=policies, hash_salt=SALT).tables\n"
        "print(tables['contacts'].row_count, tables['flags'].row_count, 'pandas' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["3", "2", "False"], result.stderr
    contacts = pq.read_table(tmp_path / "out" / "contacts").to_pylist()
    assert [row["email"] for row in contacts] == [digest("café".encode()), None, digest(b"x")]
    assert [row["born"] for row in contacts][:2] == [None, None]
    flags = pq.read_table(tmp_path / "out" / "flags").to_pylist()
    assert flags == [{"id": 1, "note": "déjà", "mask": 5}, {"id": 2, "note": None, "mask": None}]


def test_hashed_latin1_text_is_hashed_as_utf8(tmp_path):
    rows = b"(1,'caf\xe9',NULL,NULL);"
    manifest = convert_dump(write(tmp_path, rows, "latin1"), tmp_path / "out", policies=POLICY, hash_salt=SALT)
    table = pq.read_table(tmp_path / "out" / manifest.tables["contacts"].files[0]).to_pylist()
    assert table[0]["email"] == digest("café".encode())


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (f"(1,{quoted(SECRET)}x,NULL,NULL);", "'email' (hashed: its value is withheld)", "syntax error"),
        (f"(1,{quoted(SECRET)[:-3]}", "'email' (hashed: its value is withheld)", "truncated dump"),
        (f"(1,NULL,{quoted(PHONE)} {quoted(PHONE)},NULL);", "'phone' (excluded: its value is withheld)", "syntax"),
        (f"(1,NULL,{quoted(PHONE)[:-4]}", "'phone' (excluded: its value is withheld)", "truncated dump"),
        (f"(1,{quoted(SECRET)},{quoted(PHONE)},NULL,5);", None, "row has 5 values, expected 4"),
        (f"(1,{quoted(SECRET)},{quoted(PHONE)},'not a date');", "'born'", "is not a valid date32"),
    ],
    ids=["syntax-in-hashed", "cut-in-hashed", "syntax-in-excluded", "cut-in-excluded", "count", "bad-date"],
)
def test_errors_never_quote_hashed_or_excluded_values(tmp_path, row, column, reason):
    error = refused(write(tmp_path, row.encode(), trailer=row.endswith(";")), tmp_path / "out")
    assert reason in error.reason
    if column is not None:
        assert f"column {column}" in error.reason
