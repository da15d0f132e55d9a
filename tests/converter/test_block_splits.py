"""Where the read blocks fall never changes the result (issue 13): the tokenizers ask for more input
whenever a row cannot be told complete, and only then; the reader does the same for statements,
comments and INSERT headers.

The VALUES text puts every construct next to a possible block end: long quoted values (the bug
needed 256 bytes or more) whose closing quote, doubled quote or backslash escape can be the last
byte of a block, multi-byte UTF-8, _binary and hex/bit literals, numbers with exponents, comments
and conditional comments, row and statement ends, and the repeated INSERT of
--skip-extended-insert. Each tokenizer, fed the text in pieces, must give what the compiled one
gives on the whole text.
"""

from __future__ import annotations

import random

import pytest

from elt_pipeline.converter import convert_dump
from elt_pipeline.converter import output as output_module
from elt_pipeline.converter.convert import Options, convert_source
from elt_pipeline.converter.source import DumpSource
from elt_pipeline.converter.tokenizer import Core, CTokenizer, PyTokenizer
from tests.converter.feed import HEADER, feed_pieces
from tests.converter.oracle import read_parquet
from tests.support.required import skip_or_fail

if Core is None:
    skip_or_fail("compiled tokenizer not built (pip install -e .)", module_level=True)

LONG = "x" * 300
VALUES = [
    f"'{LONG}'",
    f"'{LONG}'''",  # ends with a doubled quote
    f"'''{LONG}'",
    f"'{LONG}\\\\'",  # ends with an escaped backslash
    f"'{LONG}\\''",  # ends with an escaped quote
    f'"{LONG}"""',
    "'é😀 中文 ünï'",
    "_binary '\\0\\'\\\"\\Z\\n'",
    "_utf8mb4'ÿ'",
    "X'00FFcafe'",
    "0x0A1b",
    "b'1010'",
    "0b11",
    "-1.5E-3",
    "+.5e+10",
    "18446744073709551615",
    "NULL",
    "/* c ; ) */ 7",
    "/*!50000 8 */",
    "'),(;'",
    "''",
    "UNHEX( 'cafe' )",  # Adminer's binary and bit forms
    "CONV('101', 2, 10) + 0",
]
COLUMNS = 4


def body(rng: random.Random, rows: int) -> bytes:
    """`(v, v, v, v),\\n(...);` with blanks and comments between the values."""
    after = ["", " ", "\n", "/* x */"]
    before = [*after, " /*!50000*/ "]  # an empty conditional comment may open before a value
    text = ",\n".join(
        "(" + ",".join(rng.choice(before) + rng.choice(VALUES) + rng.choice(after) for _ in range(COLUMNS)) + ")"
        for _ in range(rows)
    )
    return f" {text};".encode()


def values_text(seed: int) -> bytes:
    """A multi-row INSERT continued by identical INSERTs (one per row, as --skip-extended-insert writes)."""
    rng = random.Random(seed)
    data = body(rng, 6)
    for _ in range(3):
        data += b"\n" + HEADER + body(rng, 1)
    return data


@pytest.mark.parametrize("tokenizer", [CTokenizer, PyTokenizer], ids=["c", "python"])
def test_every_split_point_gives_the_unsplit_result(tokenizer):
    data = values_text(0)
    keep = [True, False, True, True]
    whole = feed_pieces(CTokenizer, data, keep, [])
    assert whole[0][0] and len(whole[1]) == 9  # 9 rows: a failure here is not a split problem
    for split in range(1, len(data)):
        assert feed_pieces(tokenizer, data, keep, [split]) == whole, f"split at byte {split}"


@pytest.mark.parametrize("seed", range(60))
@pytest.mark.parametrize("tokenizer", [CTokenizer, PyTokenizer], ids=["c", "python"])
def test_random_splits_give_the_unsplit_result(tokenizer, seed):
    rng = random.Random(seed)
    data = values_text(seed)
    keep = [rng.random() < 0.8 for _ in range(COLUMNS)]
    largest = rng.choice([2, 16, 300, 4096])
    sizes = [rng.randint(1, largest) for _ in range(len(data))]
    assert feed_pieces(tokenizer, data, keep, sizes) == feed_pieces(CTokenizer, data, keep, [])


@pytest.mark.parametrize("tokenizer", [CTokenizer, PyTokenizer], ids=["c", "python"])
def test_cut_at_any_byte_is_truncated_not_a_syntax_error(tokenizer):
    data = values_text(1)
    for cut in range(1, len(data)):
        result = feed_pieces(tokenizer, data[:cut], [True] * COLUMNS, [])
        if result[0] == "error":
            assert result[1:3] == ("input ends inside an INSERT", True), f"cut at byte {cut}: {result}"
        else:  # cut after a statement's ';': its rows are whole, the reader sees the rest
            assert data[: result[2]].endswith(b";"), f"cut at byte {cut}: ended at {result[2]}"


# -- the whole converter, fed a dump in blocks of any size -----------------------------------------

DUMP_HEAD = """\ufeff-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
--
-- Host: localhost    Database: shop
-- ------------------------------------------------------
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET TIME_ZONE='+00:00' */;
CREATE TABLE `t` (
  `id` int NOT NULL,
  `alpha_text` varchar(400) DEFAULT NULL, -- a comment; with ) and '
  `beta_bytes` varbinary(400) DEFAULT NULL,
  `gamma_real` double DEFAULT NULL,
  `delta_text` text,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='it''s; (odd)';
"""


TRIGGER = """DELIMITER ;;
/*!50003 CREATE*/ /*!50003 TRIGGER `t_bi` BEFORE INSERT ON `t` FOR EACH ROW SET NEW.alpha_text = ';;' */;;
DELIMITER ;
"""


def split_dump(seed: int) -> bytes:
    """A dump whose rows put quotes, escapes and statement ends on every kind of boundary."""
    rng = random.Random(seed)
    text = [DUMP_HEAD]
    row = 0
    for _ in range(12):
        rows = []
        for _ in range(rng.randint(1, 6)):
            row += 1
            a = rng.choice([f"'{LONG}'", f"'{LONG}'''", f"'{LONG}\\\\'", "'é😀 中文'", "NULL", "'),(;'"])
            b = rng.choice(["_binary '\\0\\'\\n'", f"X'{'ab' * 150}'", "0x00ff", "''", "NULL"])
            c = rng.choice(["-1.5E-3", "2", "NULL", "/*!50000 3.25 */"])
            d = rng.choice([f"'{LONG}\\''", "'\\\\'", "/* c; */ 'x'", "NULL"])
            rows.append(f"({row},{a},{b},{c},{d})")
        columns = rng.choice(["", " (`id`, `alpha_text`, `beta_bytes`, `gamma_real`, `delta_text`)"])  # > 64 bytes
        text.append(f"INSERT INTO `t`{columns} VALUES {(',' + rng.choice(['', chr(10)])).join(rows)};\n")
    text.append(TRIGGER)
    text.append("-- Dump completed on 2024-01-01 10:00:00\n")
    return "".join(text).encode()


class SplitSource(DumpSource):
    """The dump's bytes handed out in pieces of the given sizes (the last size repeats)."""

    def __init__(self, path, sizes: list[int]):
        super().__init__(path, None)
        self.sizes = sizes

    def chunks(self):
        data = b"".join(super().chunks())
        at, index = 0, 0
        while at < len(data):
            size = self.sizes[min(index, len(self.sizes) - 1)]
            yield data[at : at + size]
            at, index = at + size, index + 1


def convert_in_blocks(dump, out, sizes: list[int]):
    return convert_source(dump, out, Options(), lambda path: SplitSource(path, sizes), min_read=1)


def parquet_of(out, manifest) -> dict:
    return {name: read_parquet(out, table).to_pydict() for name, table in manifest.tables.items()}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("tokenizer", [CTokenizer, PyTokenizer], ids=["c", "python"])
def test_any_block_boundaries_give_identical_parquet(tmp_path, monkeypatch, tokenizer, seed):
    dump = tmp_path / "dump.sql"
    dump.write_bytes(split_dump(seed))
    expected_manifest = convert_dump(dump, tmp_path / "whole")
    expected = parquet_of(tmp_path / "whole", expected_manifest)
    assert expected_manifest.tables["t"].row_count > 12
    monkeypatch.setattr(output_module, "Tokenizer", tokenizer)
    rng = random.Random(seed)
    plans = [[1], [2], [7], [255], [256], [257], [4096]] + [
        [rng.randint(1, largest) for _ in range(400)] for largest in (3, 64, 600)
    ]
    for index, sizes in enumerate(plans):
        out = tmp_path / f"out{index}"
        manifest = convert_in_blocks(dump, out, sizes)
        assert parquet_of(out, manifest) == expected, f"blocks {sizes[:5]}..."
        assert manifest.tables == expected_manifest.tables
