"""Reading dumps: gzip by magic bytes, damage detected, and ISA-L and zlib give the same result."""

from __future__ import annotations

import gzip
import zlib

import pytest

from elt_pipeline.converter.errors import Problem
from elt_pipeline.converter.source import _gunzip
from tests.support.corpus import CORPUS_DUMPS

isal_zlib = pytest.importorskip("isal.isal_zlib", reason="isal not installed: only zlib is used")


def gunzip(data: bytes, inflate, block: int = 1 << 16):
    """Decompressed bytes, or the kind of Problem raised."""
    blocks = [data[i : i + block] for i in range(0, len(data), block)]
    try:
        return b"".join(_gunzip(blocks[0], iter(blocks[1:]), inflate))
    except Problem as problem:
        return problem.reason.split(":")[0]


def damaged_inputs() -> dict[str, bytes]:
    good = gzip.compress(b"INSERT INTO t VALUES (1);\n" * 5000)
    flipped = bytearray(good)
    flipped[-8] ^= 1
    middle = bytearray(good)
    middle[len(good) // 2] ^= 0xFF
    return {
        "good": good,
        "two-members": good + gzip.compress(b"-- Dump completed\n"),
        "truncated": good[:-20],
        "crc": bytes(flipped),
        "middle": bytes(middle),
        "garbage-after": good + b"garbage",
    }


@pytest.mark.parametrize("name", sorted(damaged_inputs()))
def test_isal_and_zlib_agree(name):
    data = damaged_inputs()[name]
    result = gunzip(data, zlib)
    assert gunzip(data, isal_zlib) == result
    if name in ("good", "two-members"):
        assert isinstance(result, bytes)
    else:
        assert result in ("truncated gzip", "corrupt gzip")


@pytest.mark.parametrize("dump", CORPUS_DUMPS[:2], ids=lambda d: d.name)
def test_isal_and_zlib_agree_on_corpus(dump):
    data = dump.read_bytes()
    assert gunzip(data, isal_zlib, 1 << 20) == gunzip(data, zlib, 1 << 20) == gzip.decompress(data)
