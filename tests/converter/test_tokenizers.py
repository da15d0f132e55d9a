"""The compiled and pure-Python tokenizers give identical output on the same input."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from elt_pipeline.converter.reader import Insert, Reader, Statement
from elt_pipeline.converter.schema import parse_create_table
from elt_pipeline.converter.source import DumpSource
from elt_pipeline.converter.statements import classify
from elt_pipeline.converter.tokenizer import Core, CTokenizer, PyTokenizer
from tests.converter.feed import HEADER, feed_pieces
from tests.support.corpus import CORPUS_DUMPS
from tests.support.required import skip_or_fail

if Core is None:
    skip_or_fail("compiled tokenizer not built (pip install -e .)", module_level=True)

TOKENS = [
    "NULL",
    "0",
    "-1",
    "+2.5",
    ".5",
    "1e10",
    "-1.5E-3",
    "18446744073709551615",
    "0x",
    "0x0A1",
    "0xCAFE",
    "X'00ff'",
    "x''",
    "b'101'",
    "b''",
    "0b1",
    "''",
    "'a''b'",
    "'\\0\\'\\\"\\b\\n\\r\\t\\Z\\\\\\%\\_\\x'",
    "'),('",
    "';'",
    "'é😀'",
    '"dq "" \\" x"',
    "_binary 'x'",
    "_utf8mb4'y'",
    "/*!50000 7 */",
    "/* c */ 8",
    "/*M!100000 'm' */",
    "'line\nbreak'",
    "'\\\\'",
    "'a\"\"b'",
    "\"a''b\"",
    "UNHEX('41ff')",
    "UNHEX( '' )",
    "CONV('101', 2, 10) + 0",
    "CONV('0',2,10)+0",
]


def random_values(rng: random.Random, columns: int, rows: int) -> bytes:
    blank = lambda: rng.choice(["", " ", "\n", "  \t", "/* x */"])  # noqa: E731
    body = [f"({','.join(blank() + rng.choice(TOKENS) + blank() for _ in range(columns))})" for _ in range(rows)]
    return (" " + (",\n" if rng.random() < 0.5 else ",").join(body) + ";").encode()


@pytest.mark.parametrize("seed", range(300))
def test_random_values_identical(seed):
    rng = random.Random(seed)
    columns = rng.randint(1, 6)
    data = random_values(rng, columns, rng.randint(1, 30))
    for _ in range(rng.choice([0, 0, 1, 3])):  # identical INSERTs following (--skip-extended-insert)
        data += rng.choice([b"\n", b" ", b"\n\n"]) + HEADER + random_values(rng, columns, rng.randint(1, 3))
    if seed % 3 == 1:  # damage it: errors must match too
        cut = rng.randrange(len(data))
        data = data[:cut] + data[cut + rng.randint(1, 3) :]
    if seed % 3 == 2:
        data = data[: rng.randrange(1, len(data))]
    keep = [rng.random() < 0.8 for _ in range(columns)]
    sizes = [rng.randint(1, 40) for _ in range(len(data) // 10 + 1)]
    assert feed_pieces(CTokenizer, data, keep, sizes) == feed_pieces(PyTokenizer, data, keep, sizes)


@pytest.mark.parametrize(
    "bad",
    [
        b" (1,2)",
        b" (1,2),(3",
        b" (1,'x",
        b" (1,2);",
        b" (1 2);",
        b" (1,zz);",
        b" ((1,2);",
        b" (1,2)(3,4);",
        b" (1,2,3);",
        b" (0x1g,2);",
        b" (1e5x,2);",
        b" (UNHEX('4G'),2);",
        b" (CONV('1', 2, 16) + 0,2);",
        b" (CONV('1', 2, 10) + 01,2);",
        b" (GeomFromText('POINT(1 1)', SRID(g)),2);",
    ],
)
def test_errors_identical(bad):
    assert feed_pieces(CTokenizer, bad, [True, True], []) == feed_pieces(PyTokenizer, bad, [True, True], [])


def tokenize_dump(path: Path, tokenizer_class, chunk: int):
    """Rows and row lines per table of a dump through `tokenizer_class`, input cut into `chunk`s."""
    source = DumpSource(path, None)
    data = b"".join(source.chunks())
    reader = Reader(iter([data[i : i + chunk] for i in range(0, len(data), chunk)]))
    tables, out = {}, {}
    for statement in reader.statements():
        if isinstance(statement, Insert):
            columns = statement.columns or tables[statement.table].visible
            tokenizer = tokenizer_class([True] * len(columns))
            reader.feed_values(tokenizer, statement)
            arrays, lines = tokenizer.take()
            values, all_lines = out.setdefault(statement.table, ([[] for _ in arrays], []))
            for column, array in zip(values, arrays):
                column.extend(array.to_pylist())
            all_lines.extend(lines)
        elif isinstance(statement, Statement) and classify(statement.text.decode()).kind == "create_table":
            table = parse_create_table(statement.text.decode(), statement.line)
            tables[table.name] = table
    return out


@pytest.mark.parametrize(
    "dump", [d for d in CORPUS_DUMPS if d.name.split(".")[1] in ("default", "hexblob", "skipext")], ids=lambda d: d.name
)
def test_corpus_identical(dump):
    assert tokenize_dump(dump, CTokenizer, 1 << 16) == tokenize_dump(dump, PyTokenizer, 7777)


def _time_result(parse, values):
    import pyarrow as pa

    from elt_pipeline.converter.mysql_types import _first_failing

    array = pa.array(values, pa.string())
    try:
        return parse(array).to_pylist()
    except pa.ArrowInvalid:
        return ("error", _first_failing(array, parse))


@pytest.mark.parametrize("seed", range(30))
def test_time_parsers_identical(seed):
    import pyarrow as pa

    from elt_pipeline.converter._ctokenizer import time_micros
    from elt_pipeline.converter.mysql_types import _time_micros

    def compiled(array):
        array = pa.concat_arrays([array]) if array.offset else array  # the parser needs offset 0
        validity, offsets, data = array.buffers()
        values, bad = time_micros(validity, offsets, data if data is not None else b"", len(array))
        if bad >= 0:
            raise pa.ArrowInvalid("bad TIME")
        return pa.Array.from_buffers(pa.int64(), len(array), [validity, pa.py_buffer(values)])

    rng = random.Random(seed)
    pieces = [
        "-",
        "--",
        "",
        "0",
        "7",
        "838",
        "1234",
        ":",
        "59",
        "5",
        "00",
        ".",
        ".5",
        ".123456",
        ".1234567",
        "x",
        " ",
        "٣",
    ]
    values = []
    for _ in range(50):
        if rng.random() < 0.1:
            values.append(None)
        elif rng.random() < 0.7:
            values.append(
                f"{rng.choice(['-', ''])}{rng.randint(0, 838)}:{rng.randint(0, 59):02d}:"
                f"{rng.randint(0, 59):02d}{rng.choice(['', '.' + str(rng.randint(0, 999999))])}"
            )
        else:
            values.append("".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))))
    assert _time_result(compiled, values) == _time_result(_time_micros, values)
