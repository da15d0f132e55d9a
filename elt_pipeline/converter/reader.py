"""Split a dump's byte stream into statements and comments, tracking 1-based line numbers.

Top-level statements (CREATE TABLE, SET, USE, views, triggers in DELIMITER blocks, ...) come out
whole as `Statement`; an INSERT or REPLACE comes out as `Insert` with its header parsed, and its
VALUES must then be streamed with `feed_values` so a long INSERT is never held whole in memory.
Comments outside statements come out as `Comment` (generator headers and trailers live there).
A UTF-8 byte-order mark at the start is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .errors import Problem
from .pytokenizer import TokenizeError

MIN_READ = 1 << 20  # input appended at a time (at least)
BOM = b"\xef\xbb\xbf"

IDENT = rb"(?:`(?:[^`]|``)+`|[A-Za-z0-9_$]+)"
_INSERT = re.compile(
    rb"(?P<verb>INSERT|REPLACE)\s+(?P<options>(?:(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE)\s+)*)(?:INTO\s+)?"
    rb"(?P<name>" + IDENT + rb"(?:\s*\.\s*" + IDENT + rb")?)\s*"
    rb"(?:\((?P<cols>\s*" + IDENT + rb"\s*(?:,\s*" + IDENT + rb"\s*)*)\)\s*)?"
    rb"VALUES?(?![A-Za-z0-9_$])",
    re.IGNORECASE,
)
_INSERT_START = re.compile(rb"(?:INSERT|REPLACE)(?![A-Za-z0-9_$])", re.IGNORECASE)
_DELIMITER = re.compile(rb"DELIMITER[ \t]+(\S+)[ \t]*\r?(?:\n|\Z)", re.IGNORECASE)
_IDENT_PART = re.compile(IDENT)


def unquote(ident: bytes) -> str:
    """`a``b` -> a`b ; bare names as they are."""
    text = ident.decode("utf-8")
    if text.startswith("`"):
        return text[1:-1].replace("``", "`")
    return text


def split_name(name: bytes) -> tuple[str | None, str]:
    """(database or None, table) of a possibly qualified name."""
    parts = [unquote(part) for part in _IDENT_PART.findall(name)]
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


@dataclass(frozen=True)
class Statement:
    text: bytes  # without the delimiter
    line: int


@dataclass(frozen=True)
class Comment:
    text: bytes  # '-- ...' or '# ...' without its newline, or a whole '/* ... */'
    line: int
    terminated: bool = True  # False for a line comment the input ends inside (no newline)


@dataclass(frozen=True)
class Insert:
    database: str | None
    table: str
    columns: list[str] | None
    line: int
    header: bytes  # its text up to VALUES: an identical next INSERT continues it
    mode: str = "insert"  # "insert", "ignore" (INSERT IGNORE) or "replace" (REPLACE)


class Reader:
    """Iterate statements of a stream of byte chunks."""

    def __init__(self, chunks: Iterator[bytes], min_read: int = MIN_READ):
        self._chunks = chunks
        self._min_read = min_read
        self._buf = b""
        self._pos = 0
        self._line = 1  # line number at self._pos
        self._eof = False
        self.delimiter = b";"
        self.last_byte = b""  # of the input read so far: at the end, whether it ends with a newline

    # -- buffer ---------------------------------------------------------------------------
    def _more(self, at_least: int = 0) -> bool:
        """Append at least max(at_least, min_read) bytes of input (dropping consumed bytes); False at end of input."""
        if self._eof:
            return False
        at_least = max(at_least, self._min_read)
        parts = [self._buf[self._pos :]]
        got = 0
        try:
            for chunk in self._chunks:
                if not chunk:
                    continue
                parts.append(chunk)
                got += len(chunk)
                self.last_byte = chunk[-1:]
                if got >= at_least:
                    break
            else:
                self._eof = True
        except Problem as problem:
            if problem.line is None:
                problem.line = self._line + sum(part.count(b"\n") for part in parts)
            raise
        self._buf = b"".join(parts)
        self._pos = 0
        return got > 0 or not self._eof

    def _advance(self, end: int) -> None:
        self._line += self._buf.count(b"\n", self._pos, end)
        self._pos = end

    def line_at(self, offset: int) -> int:
        return self._line + self._buf.count(b"\n", self._pos, offset)

    @property
    def last_line(self) -> int:
        """The line number at the end of the input read so far."""
        return self.line_at(len(self._buf))

    # -- statements -----------------------------------------------------------------------
    def statements(self) -> Iterator[Statement | Insert | Comment]:
        self._more(len(BOM))
        if self._buf.startswith(BOM):
            self._pos = len(BOM)
        while True:
            comment = self._skip_blanks()
            if comment is not None:
                yield comment
                continue
            buf, pos = self._buf, self._pos
            if pos >= len(buf):
                return
            delimiter = _DELIMITER.match(buf, pos)
            if delimiter and delimiter.end() == len(buf) and not self._eof:
                self._more()  # the line may go on
                continue
            if delimiter:
                self.delimiter = delimiter.group(1)
                self._advance(delimiter.end())
                continue
            if _INSERT_START.match(buf, pos):
                yield self._insert()
                continue
            end = self._statement_end()
            statement = Statement(self._buf[self._pos : end], self._line)
            self._advance(end + len(self.delimiter))
            yield statement

    def _skip_blanks(self) -> Comment | None:
        """Skip blanks to the next statement or comment; the comment if one comes first.

        At least 64 bytes (or the rest of the input) are buffered at the position it stops at.
        """
        while True:
            buf, pos, end = self._buf, self._pos, len(self._buf)
            while pos < end and buf[pos] in b" \t\r\n":
                pos += 1
            self._advance(pos)
            if end - pos < 64 and not self._eof:
                self._more()
                continue
            if pos >= end:
                return None
            line_comment = buf.startswith(b"--", pos) and (end == pos + 2 or buf[pos + 2] in b" \t\r\n")
            if line_comment or buf.startswith(b"#", pos):
                newline = buf.find(b"\n", pos)
                if newline < 0 and not self._eof:
                    self._more()
                    continue
                stop = end if newline < 0 else newline
                comment = Comment(buf[pos:stop].rstrip(b"\r"), self._line, terminated=newline >= 0)
                self._advance(stop)
                return comment
            if buf.startswith(b"/*", pos) and not _is_executable(buf, pos):
                close = buf.find(b"*/", pos + 2)
                if close < 0:
                    if self._eof:
                        raise Problem("unterminated /* comment", line=self._line)
                    self._more()
                    continue
                comment = Comment(buf[pos : close + 2], self._line)
                self._advance(close + 2)
                return comment
            return None

    def _statement_end(self) -> int:
        """Offset of the delimiter ending the statement at self._pos (quotes/comments skipped)."""
        while True:
            found = _find_end(self._buf, self._pos, self.delimiter)
            if found >= 0:
                return found
            if len(self._buf) - self._pos > (256 << 20):
                raise Problem("statement longer than 256 MB", line=self._line)
            if not self._more():
                raise Problem("truncated dump: input ends inside a statement", line=self._line)

    def _insert(self) -> Insert:
        while True:
            match = _INSERT.match(self._buf, self._pos)
            if match is not None and (match.end() < len(self._buf) or self._eof):
                break  # (VALUES must not be cut by the end of the buffer)
            if len(self._buf) - self._pos > (1 << 20) or self._eof:
                raise Problem("unsupported or malformed INSERT statement", line=self._line)
            self._more()
        database, table = split_name(match.group("name"))
        cols = match.group("cols")
        columns = [unquote(c) for c in _IDENT_PART.findall(cols)] if cols is not None else None
        if match.group("verb").upper() == b"REPLACE":
            mode = "replace"
        else:
            mode = "ignore" if b"IGNORE" in match.group("options").upper() else "insert"
        insert = Insert(database, table, columns, self._line, self._buf[self._pos : match.end()], mode)
        self._advance(match.end())
        return insert

    def feed_values(self, tokenizer, insert: Insert, progress: Callable[[int], None] | None = None) -> None:
        """Stream the current INSERT's VALUES into `tokenizer` up to its ';'.

        Identical INSERTs right after it (one per row with --skip-extended-insert) are taken
        in the same call. `progress(bytes_read)` is called after each piece, so a caller can
        write out rows before a long INSERT ends.
        """
        table = insert.table
        tokenizer.set_header(insert.header)
        while True:
            try:
                pos, line, done = tokenizer.feed(self._buf, self._pos, self._line, self._eof)
            except TokenizeError as error:
                reason = f"truncated dump: {error}" if error.truncated else f"syntax error: {error}"
                raise Problem(reason, table=table, line=self.line_at(error.offset), column=error.column) from None
            if progress is not None:
                progress(pos - self._pos)
            self._pos, self._line = pos, line
            if done:
                return
            if not self._more(len(self._buf) - self._pos):
                raise Problem("truncated dump: input ends inside an INSERT", table=table, line=self._line)


def _is_executable(buf: bytes, pos: int) -> bool:
    """/*!NNNNN ...*/ or /*M!NNNNN ...*/ (not MariaDB's /*M!999999\\- sandbox */ line)."""
    if buf.startswith(b"/*!", pos):
        return True
    if buf.startswith(b"/*M!", pos):
        digits = re.match(rb"\d*", buf[pos + 4 : pos + 20]).group(0)
        return not buf.startswith(b"\\", pos + 4 + len(digits))
    return False


_END_TOKENS = {}


def _find_end(buf: bytes, pos: int, delimiter: bytes) -> int:
    """Offset of `delimiter` outside quotes/comments from `pos`; -1 if input ran out."""
    pattern = _END_TOKENS.get(delimiter)
    if pattern is None:
        pattern = re.compile(rb"['\"`]|/\*(?!!|M!)|--[ \t\r\n]|#|" + re.escape(delimiter))
        _END_TOKENS[delimiter] = pattern
    while True:
        match = pattern.search(buf, pos)
        if match is None:
            return -1
        token = match.group(0)
        start = match.start()
        if token == delimiter:
            return start
        if token in (b"'", b'"', b"`"):
            close = _CLOSE[token].match(buf, start + 1)
            if close is None:
                return -1
            pos = close.end()
        elif token == b"/*":
            close = buf.find(b"*/", start + 2)
            if close < 0:
                return -1
            pos = close + 2
        else:
            newline = buf.find(b"\n", start)
            if newline < 0:
                return -1
            pos = newline


_CLOSE = {
    b"'": re.compile(rb"[^'\\]*(?:(?:\\[\s\S]|'')[^'\\]*)*'"),
    b'"': re.compile(rb'[^"\\]*(?:(?:\\[\s\S]|"")[^"\\]*)*"'),
    b"`": re.compile(rb"[^`]*(?:``[^`]*)*`"),
}
