"""The compiled parsers (built by `pip install`), else the pure-Python ones.

The VALUES tokenizer and the TIME parser each have a pure-Python twin with identical output
(tests/converter/test_tokenizers.py); ELT_PURE_PYTHON_TOKENIZER=1 forces the pure-Python ones.
"""

from __future__ import annotations

import os
from array import array

import pyarrow as pa

from .pytokenizer import TokenizeError
from .pytokenizer import Tokenizer as PyTokenizer

try:
    from ._ctokenizer import Core
    from ._ctokenizer import time_micros as _c_time_micros
except ImportError:  # not built (e.g. running from a source tree without `pip install -e .`)
    Core = _c_time_micros = None

_NEED_MORE, _DONE, _SYNTAX, _TRUNCATED = range(4)


class CTokenizer:
    """Same interface as `pytokenizer.Tokenizer`, backed by the compiled core."""

    def __init__(self, keep: list[bool]):
        self.keep = list(keep)
        self._core = Core(self.keep)

    @property
    def rows(self) -> int:
        return self._core.rows

    def set_header(self, header: bytes) -> None:
        self._core.set_header(header)

    def feed(self, buf: bytes, pos: int, line: int, final: bool) -> tuple[int, int, bool]:
        pos, line, status, message, column = self._core.feed(buf, pos, line, final)
        if status in (_SYNTAX, _TRUNCATED):
            raise TokenizeError(message, pos, truncated=status == _TRUNCATED, column=None if column < 0 else column)
        return pos, line, status == _DONE

    def take(self) -> tuple[list[pa.Array | None], list[int]]:
        columns, lines = self._core.take()
        rows = len(lines) // 4
        arrays = []
        for column in columns:
            if column is None:
                arrays.append(None)
                continue
            data, offsets, validity, nulls = column
            buffers = [None if validity is None else pa.py_buffer(validity), pa.py_buffer(offsets), pa.py_buffer(data)]
            arrays.append(pa.Array.from_buffers(pa.binary(), rows, buffers, null_count=nulls))
        return arrays, array("i", lines).tolist()


USE_C = Core is not None and os.environ.get("ELT_PURE_PYTHON_TOKENIZER") != "1"
Tokenizer = CTokenizer if USE_C else PyTokenizer
time_micros = _c_time_micros if USE_C else None  # TIME parser used by mysql_types._time

__all__ = ["USE_C", "CTokenizer", "PyTokenizer", "TokenizeError", "Tokenizer", "time_micros"]
