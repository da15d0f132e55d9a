"""Where the read blocks fall never changes the result (issue 13): the tokenizers ask for more input
whenever a row cannot be told complete, and only then.

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

from elt_pipeline.converter.tokenizer import Core, CTokenizer, PyTokenizer
from tests.converter.feed import HEADER, feed_pieces
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
