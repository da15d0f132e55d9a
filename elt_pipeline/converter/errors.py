"""The converter's one exception, and the internal problem it is built from."""

from __future__ import annotations


class DumpError(Exception):
    """Bad input. str(error) names the file, the table (if known) and the 1-based line number."""

    def __init__(self, reason: str, *, file: str, table: str | None = None, line: int | None = None):
        self.reason = reason
        self.file = file
        self.table = table
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [self.file]
        if self.table is not None:
            where.append(f"table {self.table!r}")
        if self.line is not None:
            where.append(f"line {self.line}")
        return f"{', '.join(where)}: {self.reason}"


class Problem(Exception):
    """Raised inside the converter; `convert_dump` turns it into a DumpError naming the file.

    `column` is the index of the INSERT value a syntax error is in, when known.
    """

    def __init__(self, reason: str, *, table: str | None = None, line: int | None = None, column: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.table = table
        self.line = line
        self.column = column
