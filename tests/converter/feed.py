"""Feed VALUES text to a tokenizer in pieces, as the reader does when blocks arrive."""

from __future__ import annotations

from elt_pipeline.converter.tokenizer import TokenizeError

HEADER = b"INSERT INTO `t` VALUES"


def feed_pieces(tokenizer_class, data: bytes, keep: list[bool], sizes: list[int]):
    """Rows, row lines and end position of `data` fed in pieces of `sizes` (the rest last); or the error.

    When the tokenizer ends a statement before the input does, what follows must be the same INSERT
    again (the reader would start it and feed the same tokenizer): its header is skipped here.
    """
    tokenizer = tokenizer_class(keep)
    tokenizer.set_header(HEADER)
    buf, pos, line, start = b"", 0, 1, 0
    sizes = iter(sizes)
    while True:
        size = next(sizes, len(data))
        buf = buf[pos:] + data[start : start + size]
        start += size
        pos = 0
        final = start >= len(data)
        try:
            pos, line, done = tokenizer.feed(buf, pos, line, final)
        except TokenizeError as error:
            return ("error", str(error), error.truncated, error.column, len(data) - len(buf) + error.offset)
        at = len(data[:start]) - len(buf) + pos  # absolute position reached
        if done:
            following = len(data) - len(data[at:].lstrip())
            if not data.startswith(HEADER, following):
                break
            line += data.count(b"\n", at, following)
            buf, pos, start = b"", 0, following + len(HEADER)
        elif final:
            break
    arrays, lines = tokenizer.take()
    return [None if a is None else a.to_pylist() for a in arrays], lines, at
