"""Pure-Python VALUES tokenizer: `(v, ...), (...);` -> per-column raw values (bytes or None).

Raw value = the bytes MySQL stores: string literals unescaped, 0x/X''/b''/0b literals decoded
(and Adminer's UNHEX('..') and CONV('..', 2, 10) + 0 likewise), numbers and NULL as written.
Typing is left to `mysql_types`. The C tokenizer (`_ctokenizer`) has the same interface and output.
"""

from __future__ import annotations

import re

import pyarrow as pa

_GAP = rb"(?:\s|(?>/\*(?!!|M!)[\s\S]*?\*/)|/\*M?!\d*+|\*/)"  # blank, comment, conditional marker
_GAP_AFTER = rb"(?:\s|(?>/\*(?!!|M!)[\s\S]*?\*/)|\*/)"  # the same without markers (after a value)
_COMPLETE = rb"""
    '(?P<sq>(?>[^'\\]*(?:(?:\\[\s\S]|'')[^'\\]*)*))'
  | "(?P<dq>(?>[^"\\]*(?:(?:\\[\s\S]|"")[^"\\]*)*))"
  | (?P<null>NULL)\b
  | 0x(?P<hex>[0-9A-Fa-f]*)\b
  | [xX]'(?P<xq>[0-9A-Fa-f]*)'
  | 0b(?P<bin>[01]*)\b
  | [bB]'(?P<bq>[01]*)'
  | (?P<num>[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)(?![0-9A-Za-z_.])
  | UNHEX\(\s*'(?P<unhex>[0-9A-Fa-f]*)'\s*\)
  | CONV\(\s*'(?P<conv>[01]*)'\s*,\s*2\s*,\s*10\s*\)\s*\+\s*0"""
_INTRODUCER = rb"(?:_[A-Za-z0-9]+\s*)?"  # charset introducer (_binary, _utf8mb4)
# One value with the blanks and comments around it, up to its separator; group names say what matched.
_VALUE = re.compile(rb"%s*%s(?:%s)%s*(?P<sep>[,)])" % (_GAP, _INTRODUCER, _COMPLETE, _GAP_AFTER), re.VERBOSE)
_OPEN = re.compile(_GAP + rb"*\(")
_AFTER_ROW = re.compile(_GAP + rb"*([,;])")
_BLANKS = re.compile(rb"\s*")
_ESCAPE = {b"'": re.compile(rb"\\([\s\S])|''"), b'"': re.compile(rb'\\([\s\S])|""')}
_ESCAPES = {b"0": b"\0", b"b": b"\b", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"Z": b"\x1a", b"%": b"\\%", b"_": b"\\_"}

# Prefixes cut by the end of the input: whether a failed match only lacked input. A gap item cut
# short ('/', '*', an open comment), then a value cut short (an open string, or one whose last byte
# is a quote that may be the first of a doubled quote; a prefix of NULL, a number, a hex or bit
# literal), or a complete value whose separator has not come yet.


def _cut(*pieces: bytes) -> bytes:
    """Regex of the prefixes of the sequence of `pieces` (each matched whole, or cut as a run)."""
    out = b""
    for piece in reversed(pieces[1:]):
        out = b"(?:" + piece + out + b")?"
    return pieces[0] + out


_GAP_CUT = rb"(?:/|/\*(?!!|M!)(?:[^*]|\*(?!/))*|\*)"
_UNHEX_CUT = _cut(b"U", b"N", b"H", b"E", b"X", rb"\(", rb"\s*", b"'", rb"[0-9A-Fa-f]*", b"'", rb"\s*", rb"\)")
_CONV_CUT = _cut(
    *(b"C", b"O", b"N", b"V", rb"\(", rb"\s*", b"'", rb"[01]*", b"'", rb"\s*", b",", rb"\s*", b"2", rb"\s*", b","),
    *(rb"\s*", b"1", b"0", rb"\s*", rb"\)", rb"\s*", rb"\+", rb"\s*", b"0"),
)
_VALUE_CUT = rb"""(?:
    '(?:[^'\\]|\\[\s\S]|'')*+(?:\\|')?
  | "(?:[^"\\]|\\[\s\S]|"")*+(?:\\|")?
  | N(?:U(?:LL?)?)?
  | 0(?:x[0-9A-Fa-f]*|b[01]*)
  | [xX](?:'[0-9A-Fa-f]*)?
  | [bB](?:'[01]*)?
  | [-+]?(?:[0-9]+\.?[0-9]*(?:[eE][-+]?[0-9]*)?|\.(?:[0-9]+(?:[eE][-+]?[0-9]*)?)?)?
  | %s
  | %s)""" % (_UNHEX_CUT, _CONV_CUT)
_GAP_PREFIX = re.compile(_GAP + rb"*+%s?\Z" % _GAP_CUT)
_VALUE_PREFIX = re.compile(
    rb"%s*+(?:%s|_[A-Za-z0-9]*\s*|%s%s|%s(?:%s)%s*+%s?)?\Z"
    % (_GAP, _GAP_CUT, _INTRODUCER, _VALUE_CUT, _INTRODUCER, _COMPLETE, _GAP_AFTER, _GAP_CUT),
    re.VERBOSE,
)


class TokenizeError(Exception):
    """Syntax error (or, if `truncated`, end of input) at byte `offset` of the buffer given to `feed`.

    `column` is the index of the value the error is in, if it is in one. The message never quotes
    input bytes (they may belong to a hashed or excluded column).
    """

    def __init__(self, message: str, offset: int, truncated: bool = False, column: int | None = None):
        super().__init__(message)
        self.offset = offset
        self.truncated = truncated
        self.column = column


def _unescape_one(match: re.Match) -> bytes:
    char = match.group(1)
    if char is None:
        return match.group(0)[:1]
    return _ESCAPES.get(char, char)


def unescape(raw: bytes, quote: bytes = b"'") -> bytes:
    """MySQL string-literal escapes: \\0 \\' \\" \\b \\n \\r \\t \\Z \\\\, \\% and \\_ kept, '' -> '."""
    if b"\\" not in raw and quote + quote not in raw:
        return raw
    return _ESCAPE[quote].sub(_unescape_one, raw)


def _bits(digits: bytes) -> bytes:
    if not digits:
        return b""
    return int(digits, 2).to_bytes((len(digits) + 7) // 8, "big")


def _hex(digits: bytes) -> bytes:
    return bytes.fromhex((b"0" + digits if len(digits) % 2 else digits).decode())


def _raw(groups: tuple) -> bytes | None:
    """The stored bytes of one matched value (groups of `_VALUE`)."""
    sq, dq, null, hex_, xq, bin_, bq, num, unhex, conv, _sep = groups
    if num is not None:
        return num
    if sq is not None:
        return unescape(sq)
    if null is not None:
        return None
    if dq is not None:
        return unescape(dq, b'"')
    for digits in (hex_, xq, unhex):
        if digits is not None:
            return _hex(digits)
    return _bits(next(digits for digits in (bin_, bq, conv) if digits is not None))


class Tokenizer:
    """Accumulates rows of one INSERT target; `keep[i]` says whether column i is stored."""

    def __init__(self, keep: list[bool]):
        self.keep = keep
        self.ncols = len(keep)
        self.header = b""
        self.rows = 0
        self._columns: list[list[bytes | None]] = [[] for _ in keep]
        self._lines: list[int] = []

    def feed(self, buf: bytes, pos: int, line: int, final: bool) -> tuple[int, int, bool]:
        """Parse whole rows from buf[pos:]; returns (pos, line, statement_done).

        Stops before an incomplete row (the caller appends more input and calls again).
        """
        columns = [column if keep else None for column, keep in zip(self._columns, self.keep)]
        ncols = self.ncols
        while True:
            opened = _OPEN.match(buf, pos)
            if opened is None:
                if _incomplete(_GAP_PREFIX, buf, pos, final):
                    return pos, line, False
                raise TokenizeError("expected '(' starting a row of VALUES", _skip_blank(buf, pos))
            at = opened.end()
            values: list[bytes | None] = []
            while True:
                match = _VALUE.match(buf, at)
                if match is None:
                    if _incomplete(_VALUE_PREFIX, buf, at, final, len(values)):
                        return pos, line, False
                    raise TokenizeError("bad value in VALUES", _skip_blank(buf, at), column=len(values))
                values.append(_raw(match.groups()))
                at = match.end()
                if match.group("sep") == b")":
                    break
            after = _AFTER_ROW.match(buf, at)
            if after is None:
                if _incomplete(_GAP_PREFIX, buf, at, final):
                    return pos, line, False
                raise TokenizeError("expected ',' or ';' after a row of VALUES", _skip_blank(buf, at))
            if len(values) != ncols:
                raise TokenizeError(f"row has {len(values)} values, expected {ncols}", opened.end() - 1)
            line += buf.count(b"\n", pos, opened.end())
            self._lines.append(line)
            for column, value in zip(columns, values):
                if column is not None:
                    column.append(value)
            self.rows += 1
            line += buf.count(b"\n", opened.end(), after.end())
            pos = after.end()
            if after.group(1) == b";":
                following = _BLANKS.match(buf, pos).end()
                if not self.header or not buf.startswith(self.header, following):
                    return pos, line, True
                line += buf.count(b"\n", pos, following)  # the same INSERT again (--skip-extended-insert)
                pos = following + len(self.header)

    def set_header(self, header: bytes) -> None:
        """A following INSERT whose text up to VALUES is exactly `header` continues the rows."""
        self.header = header

    def take(self) -> tuple[list[pa.Array | None], list[int]]:
        """The stored columns as pa.binary() arrays (None for columns not kept), row lines; resets."""
        arrays = [pa.array(column, pa.binary()) if keep else None for column, keep in zip(self._columns, self.keep)]
        lines = self._lines
        self._columns = [[] for _ in self.keep]
        self._lines = []
        self.rows = 0
        return arrays, lines


def _skip_blank(buf: bytes, pos: int) -> int:
    while pos < len(buf) and buf[pos] in b" \t\r\n":
        pos += 1
    return pos


def _incomplete(prefix: re.Pattern, buf: bytes, pos: int, final: bool, column: int | None = None) -> bool:
    """True if parsing failed at `pos` only for lack of input: buf[pos:] is a `prefix` cut by its end.

    At the end of input (`final`) that is a truncated dump: TokenizeError(truncated=True).
    """
    cut = prefix.match(buf, pos) is not None
    if cut and final:
        raise TokenizeError("input ends inside an INSERT", pos, truncated=True, column=column)
    return cut
