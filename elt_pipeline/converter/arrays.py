"""Arrow arrays from Python values, assembled from buffers rather than by `pa.array`.

pyarrow imports pandas the first time it converts a Python sequence or scalar (`pa.array`,
`pa.scalar`) to check whether it is a pandas object: half a second of CPU, and every import
run converts in a fresh process that otherwise never needs pandas.
"""

from __future__ import annotations

from array import array
from itertools import accumulate

import pyarrow as pa


def bools(flags: list[bool]) -> pa.Array:
    """A boolean array of `flags`, none null."""
    return pa.Array.from_buffers(pa.uint8(), len(flags), [None, pa.py_buffer(bytes(flags))]).cast(pa.bool_())


def strings(values: list[str | None]) -> pa.Array:
    """A string array of `values`, null for None."""
    data = [b"" if value is None else value.encode() for value in values]
    offsets = array("i", accumulate(map(len, data), initial=0))
    buffers = [_validity(values), pa.py_buffer(offsets), pa.py_buffer(b"".join(data))]
    return pa.Array.from_buffers(pa.string(), len(values), buffers, null_count=values.count(None))


def uint64s(values: list[int | None]) -> pa.Array:
    """A uint64 array of `values`, null for None."""
    data = array("Q", [0 if value is None else value for value in values])
    buffers = [_validity(values), pa.py_buffer(data)]
    return pa.Array.from_buffers(pa.uint64(), len(values), buffers, null_count=values.count(None))


def _validity(values: list) -> pa.Buffer:
    return bools([value is not None for value in values]).buffers()[1]
