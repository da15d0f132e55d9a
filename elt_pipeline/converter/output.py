"""One converted table: the columns of its INSERTs, buffered rows, and its typed Parquet parts."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from elt_pipeline.lib.manifest import ColumnInfo, TableManifest

from .arrays import strings
from .duplicates import needs_check as needs_duplicate_check
from .duplicates import resolve as resolve_duplicates
from .errors import Problem
from .mysql_types import Mapping, ValueProblem, convert, mapping_for
from .reader import Insert
from .schema import Column, Table
from .tokenizer import Tokenizer
from .writer import TableWriter

if TYPE_CHECKING:  # importing it pulls in pydantic: not needed at run time
    from elt_pipeline.lib.pipeline_config import ColumnPolicy

HASH_MAPPING = "salted sha256 hex of the value's bytes as dumped (text as UTF-8) -> string"


class TableOutput:
    """Rows of one table, in the order of its INSERTs; the first INSERT fixes the column order."""

    def __init__(self, table: Table, policy: ColumnPolicy | None, out_dir: Path, salt: bytes, timestamps_utc: bool):
        self.table = table
        self.policy = policy
        self.out_dir = out_dir
        self.salt = salt
        self.columns: list[str] | None = None
        self.mappings: list[Mapping | None] = []  # per INSERT column; None = not replicated
        self.tokenizer: Tokenizer | None = None
        self.writer: TableWriter | None = None
        self.pending_bytes = 0  # dump bytes buffered since the last batch
        self.zero_dates: dict[str, int] = {}
        self.rows = 0  # rows taken so far (written or buffered)
        self.modes: list[tuple[int, str, int]] = []  # (first row, "insert"/"ignore"/"replace", line) per change
        self.timestamps_utc = timestamps_utc  # the dump's time zone was UTC where the table was created
        self.late_keys: list = []  # unique keys added by ALTER TABLE
        self.dropped = 0  # rows REPLACE / INSERT IGNORE left out, as the server would

    def keeps(self, column: str) -> bool:
        return self.policy is None or self.policy.keeps(column)

    def hashes(self, column: str) -> bool:
        return self.policy is not None and self.policy.hashes(column)

    def prepare(self, insert: Insert, timestamps_utc: bool) -> Tokenizer:
        """The tokenizer for this INSERT's rows; later INSERTs must name the first one's columns."""
        names = insert.columns or self.table.visible
        if self.columns is not None:
            if names != self.columns:
                raise Problem(
                    "INSERT column list differs from the table's first INSERT", table=insert.table, line=insert.line
                )
        else:
            by_name = {column.name: column for column in self.table.columns}
            unknown = [name for name in names if name not in by_name]
            if unknown:
                raise Problem(f"INSERT names columns not in the table: {unknown}", table=insert.table, line=insert.line)
            self._fix_columns(names, timestamps_utc)
        if not self.modes or self.modes[-1][1] != insert.mode:
            self.modes.append((self.rows + self.tokenizer.rows, insert.mode, insert.line))
        return self.tokenizer

    def _fix_columns(self, names: list[str], timestamps_utc: bool) -> None:
        by_name = {column.name: column for column in self.table.columns}
        self.columns = names
        self.mappings = [self._mapping(by_name[name], timestamps_utc) if self.keeps(name) else None for name in names]
        self.tokenizer = Tokenizer([mapping is not None for mapping in self.mappings])

    def _mapping(self, column: Column, timestamps_utc: bool) -> Mapping:
        try:
            mapping = mapping_for(column.mysql_type, timestamps_utc=timestamps_utc)
        except Problem as problem:
            raise Problem(f"column {column.name!r}: {problem.reason}", table=self.table.name) from None
        if column.period:
            note = f"; system-versioning row {column.period} as dumped"
            return Mapping(mapping.kind, mapping.arrow_type, mapping.description + note)
        return mapping

    def describe_column(self, index: int | None) -> str:
        """', in column x' for an error, saying when its value is withheld (hashed or excluded)."""
        if index is None or self.columns is None or index >= len(self.columns):
            return ""
        name = self.columns[index]
        if self.hashes(name) or not self.keeps(name):
            return f", in column {name!r} ({'hashed' if self.hashes(name) else 'excluded'}: its value is withheld)"
        return f", in column {name!r}"

    def take(self) -> tuple[list, list[int]] | None:
        """The buffered rows (raw values per column, line per row), or None if there are none."""
        if self.tokenizer is None or self.tokenizer.rows == 0:
            return None
        self.rows += self.tokenizer.rows
        self.pending_bytes = 0
        return self.tokenizer.take()

    def write(self, raws: list, lines: list[int], charset: str) -> None:
        """Type (or hash) a batch and append it as a row group (runs in the writer thread)."""
        arrays = []
        for name, mapping, raw in zip(self.columns, self.mappings, raws):
            if mapping is None:
                continue
            if self.hashes(name):  # hashed as dumped, never typed: nothing to reject, nothing to quote
                text = mapping.kind == "text" and charset == "latin1"
                arrays.append(self._hash(convert(mapping, raw, charset)[0].cast(pa.binary()) if text else raw))
                continue
            try:
                typed, zeros = convert(mapping, raw, charset)
            except ValueProblem as problem:
                raise Problem(f"column {name!r}: {problem}", table=self.table.name, line=lines[problem.row]) from None
            if zeros:
                self.zero_dates[name] = self.zero_dates.get(name, 0) + zeros
            arrays.append(typed)
        if self.writer is None:
            self.writer = self._writer()
        self.writer.write(pa.RecordBatch.from_arrays(arrays, schema=self.writer.schema))

    def _hash(self, raw: pa.Array) -> pa.Array:
        salt = self.salt
        return strings(
            [None if value is None else hashlib.sha256(salt + value).hexdigest() for value in raw.to_pylist()]
        )

    def _writer(self) -> TableWriter:
        fields = []
        for name, mapping in zip(self.columns, self.mappings):
            if mapping is not None:
                fields.append(pa.field(name, pa.string() if self.hashes(name) else mapping.arrow_type))
        return TableWriter(self.out_dir, self.table.name, pa.schema(fields), self._dictionary())

    def _dictionary(self) -> list[str]:
        """Low-cardinality columns (ENUM, SET), dictionary-encoded in Parquet."""
        return [
            name
            for name, mapping in zip(self.columns, self.mappings)
            if mapping is not None and mapping.description.startswith(("enum", "set")) and not self.hashes(name)
        ]

    def close(self) -> None:
        """Close the Parquet parts (a table with no INSERT gets its declared columns and one empty part)."""
        if self.columns is None:
            self._fix_columns([c.name for c in self.table.columns if not c.generated], self.timestamps_utc)
        if self.writer is None:
            self.writer = self._writer()
        self.writer.close()

    def resolve_duplicates(self) -> None:
        """After close(): leave out the rows REPLACE / INSERT IGNORE would not keep (see `duplicates`)."""
        keys = self.table.unique_keys
        if not needs_duplicate_check(self.modes, [*keys, *self.late_keys]):
            return
        comparable = {
            name: mapping.arrow_type
            for name, mapping in zip(self.columns, self.mappings)
            if mapping is not None and not self.hashes(name)
        }
        binary = {name: _compares_bytes(self.table.column_collation(name)) for name in comparable}
        parts = [self.out_dir / name for name in self.writer.files]
        self.dropped = resolve_duplicates(
            self.table.name, parts, comparable, binary, keys, self.late_keys, self.modes, self._dictionary()
        )

    def discard(self) -> None:
        """Drop everything written (the table was dropped or truncated); call with no batch pending."""
        if self.writer is not None:
            self.writer.close()
        shutil.rmtree(self.out_dir / self.table.name, ignore_errors=True)

    def manifest(self) -> TableManifest:
        by_name = {column.name: column for column in self.table.columns}
        columns = []
        for name, mapping in zip(self.columns, self.mappings):
            if mapping is None:
                continue
            hashed = self.hashes(name)
            zeros = self.zero_dates.get(name, 0)
            columns.append(
                ColumnInfo(
                    name=name,
                    mysql_type=by_name[name].mysql_type,
                    arrow_type=str(pa.string() if hashed else mapping.arrow_type),
                    nullable=by_name[name].nullable or zeros > 0,
                    hashed=hashed,
                    mapping=HASH_MAPPING if hashed else mapping.description,
                    zero_dates_nulled=zeros,
                )
            )
        present = set(self.columns)
        return TableManifest(
            row_count=self.writer.rows - self.dropped,
            files=self.writer.files,
            columns=columns,
            excluded_columns=[name for name, mapping in zip(self.columns, self.mappings) if mapping is None],
            omitted_columns=[column.name for column in self.table.columns if column.name not in present],
            duplicates_dropped=self.dropped,
            unlisted_columns=self._unlisted(),
        )

    def _unlisted(self) -> dict[str, str]:
        """Columns of the dump the policy does not list -> what was done with them."""
        if self.policy is None:
            return {}
        return {
            name: "hashed" if self.hashes(name) else "in clear" if self.keeps(name) else "excluded"
            for name in self.policy.unlisted(self.columns)
        }


def _compares_bytes(collation: str | None) -> bool:
    """True for a collation that compares text byte by byte (a _bin one, or the binary charset)."""
    return collation is not None and (collation == "binary" or collation.endswith("_bin"))
