"""convert_dump: one streaming pass over a dump -> per-table Parquet parts + `_manifest.json`."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections import deque
from collections.abc import Mapping as MappingType
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from elt_pipeline.lib.manifest import MANIFEST_NAME, ColumnInfo, Manifest, TableManifest

from .errors import DumpError, Problem
from .mysql_types import Mapping, ValueProblem, convert, mapping_for
from .reader import TRAILER, Insert, Reader, Statement
from .schema import Table, parse_create_table, view_name
from .source import DumpSource
from .tokenizer import Tokenizer
from .writer import TableWriter

if TYPE_CHECKING:  # importing it pulls in pydantic: not needed at run time
    from elt_pipeline.lib.pipeline_config import ColumnPolicy

CONVERTER_VERSION = "1.0.0"
BATCH_ROWS = 65_536
BATCH_BYTES = 16 << 20  # dump bytes buffered per table before a row group is written
MAX_PENDING = 2  # batches waiting for the writer thread (bounds memory)

_SET = r"\s*(?:/\*!\d*\s*)?SET\s+"  # a statement starting with SET, maybe in a conditional comment
_SET_TIME_ZONE = re.compile(_SET + r"(?:@@(?:SESSION\.)?)?TIME_ZONE\s*=\s*'([^']*)'", re.IGNORECASE)
_SET_NAMES = re.compile(_SET + r"NAMES\s+'?(\w+)'?", re.IGNORECASE)
_DROP_VIEW = re.compile(
    r"DROP\s+VIEW\s+(?:IF\s+EXISTS\s+)?((?:`(?:[^`]|``)+`|[\w$]+)(?:\s*\.\s*(?:`(?:[^`]|``)+`|[\w$]+))?)", re.IGNORECASE
)
_UTF8 = {"utf8", "utf8mb3", "utf8mb4"}


def convert_dump(
    dump_path: Path,
    out_dir: Path,
    *,
    policies: MappingType[str, ColumnPolicy] | None = None,
    hash_salt: str = "",
    dump_uri: str | None = None,
    max_bytes: int | None = None,
) -> Manifest:
    """Convert `dump_path` into `out_dir` (absent or empty); see the package docstring."""
    dump_path, out_dir = Path(dump_path), Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise DumpError(f"output folder {out_dir} is not empty", file=str(dump_path))
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        source = DumpSource(dump_path, max_bytes)
        conversion = _Conversion(out_dir, policies, hash_salt)
        chunks = source.chunks()
        try:
            conversion.run(Reader(chunks))
            tables = conversion.finish()
        finally:
            chunks.close()  # stops the read-ahead thread
            conversion.close()  # waits for the writer thread
        manifest = Manifest(
            tables=tables,
            converter_version=CONVERTER_VERSION,
            dump_uri=dump_uri if dump_uri is not None else str(dump_path),
            dump_sha256=source.sha256,
            dump_bytes=source.size,
            extra=conversion.extra(),
        )
        temporary = out_dir / f".{MANIFEST_NAME}.tmp"
        temporary.write_text(manifest.to_json())
        os.replace(temporary, out_dir / MANIFEST_NAME)
        return manifest
    except Problem as problem:
        _clean(out_dir, created)
        raise DumpError(problem.reason, file=str(dump_path), table=problem.table, line=problem.line) from None
    except BaseException:
        _clean(out_dir, created)
        raise


def _clean(out_dir: Path, created: bool) -> None:
    if created:
        shutil.rmtree(out_dir, ignore_errors=True)
        return
    for child in out_dir.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


@dataclass
class _Output:
    """One table being converted: its columns, buffered rows and Parquet writer."""

    table: Table
    policy: ColumnPolicy | None
    columns: list[str] | None = None  # columns of its INSERTs, fixed by the first one
    tokenizer: Tokenizer | None = None
    mappings: list[Mapping | None] = field(default_factory=list)  # per INSERT column; None = dropped
    writer: TableWriter | None = None
    pending_bytes: int = 0
    zero_dates: dict[str, int] = field(default_factory=dict)


class _Conversion:
    def __init__(self, out_dir: Path, policies: MappingType[str, ColumnPolicy] | None, hash_salt: str):
        self.out_dir = out_dir
        self.policies = policies
        self.salt = hash_salt.encode()
        self.timestamps_utc = False
        self.charset = "utf8mb4"
        self.declared: dict[str, Table] = {}
        self.outputs: dict[str, _Output] = {}
        self.views: set[str] = set()
        self.current: _Output | None = None
        self._writes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet-writer")
        self._pending: deque[Future] = deque()

    def run(self, reader: Reader) -> None:
        try:
            for statement in reader.statements():
                if isinstance(statement, Insert):
                    self._insert(statement, reader)
                else:
                    self._statement(statement)
        except Problem:
            self._drain()  # a bad value in an earlier batch comes first in the dump: report it
            raise
        if not reader.completed:
            raise Problem(f"truncated dump: no '{TRAILER.decode()}' trailer at the end", line=reader.last_line)

    def _statement(self, statement: Statement) -> None:
        text = statement.text.decode("utf-8", errors="replace")
        head = text[:4096]
        if (match := _SET_TIME_ZONE.match(head)) is not None:
            self.timestamps_utc = match.group(1) in ("+00:00", "UTC", "+0:00")
        if (match := _SET_NAMES.match(head)) is not None:
            if self.current is not None:
                self._flush(self.current)
            self.charset = match.group(1).lower()
            if self.charset not in _UTF8 and self.charset not in ("latin1", "binary"):
                raise Problem(f"unsupported dump character set {self.charset!r}", line=statement.line)
        if (match := _DROP_VIEW.search(head)) is not None:
            self._view(match.group(1))
        if (name := view_name(head)) is not None:
            self._view(name)
            return
        if re.search(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?TABLE", head, re.IGNORECASE):
            table = parse_create_table(text, statement.line)
            if table is not None and table.name not in self.views:
                self._declare(table, statement.line)

    def _view(self, qualified: str) -> None:
        name = qualified.rsplit(".", 1)[-1].strip().strip("`").replace("``", "`")
        self.views.add(name)
        output = self.outputs.get(name)
        if output is not None and output.writer is None and output.columns is None:
            del self.outputs[name]
        self.declared.pop(name, None)

    def _declare(self, table: Table, line: int) -> None:
        converted = self.policies is None or table.name in self.policies
        if table.name in self.declared and converted:
            raise Problem("table declared twice in the dump (same name in two databases?)", table=table.name, line=line)
        self.declared[table.name] = table
        if not converted:
            return
        policy = self.policies[table.name] if self.policies is not None else None
        if policy is not None:
            known = {column.name for column in table.columns}
            unknown = (set(policy.include or ()) | set(policy.exclude) | set(policy.hash)) - known
            if unknown:
                raise Problem(
                    f"column policy names columns not in the table: {sorted(unknown)}", table=table.name, line=line
                )
        if table.name in (".", "..") or "/" in table.name or "\0" in table.name:
            raise Problem("table name cannot be used as an output folder name", table=table.name, line=line)
        self.outputs[table.name] = _Output(table, policy)

    def _insert(self, insert: Insert, reader: Reader) -> None:
        table = self.declared.get(insert.table)
        if table is None:
            raise Problem("INSERT into a table not declared by a CREATE TABLE", table=insert.table, line=insert.line)
        output = self.outputs.get(insert.table)
        if output is None:  # not converted: only checked for syntax
            skipper = Tokenizer([False] * len(insert.columns or table.columns))
            reader.feed_values(skipper, insert, lambda _: skipper.rows >= BATCH_ROWS and skipper.take())
            return
        if self.current is not None and self.current is not output:
            self._flush(self.current)
        self.current = output
        self._prepare(output, insert)
        try:
            reader.feed_values(output.tokenizer, insert, lambda read: self._progress(output, read))
        except Problem as problem:
            problem.table = problem.table or insert.table
            raise

    def _progress(self, output: _Output, read: int) -> None:
        """Write a row group once enough rows or bytes are buffered (also mid-INSERT)."""
        output.pending_bytes += read
        if output.tokenizer.rows >= BATCH_ROWS or output.pending_bytes >= BATCH_BYTES:
            self._flush(output)

    def _prepare(self, output: _Output, insert: Insert) -> None:
        """Fix the table's column order on its first INSERT; later INSERTs must match it."""
        names = insert.columns or [column.name for column in output.table.columns]
        if output.columns is not None:
            if names != output.columns:
                raise Problem(
                    "INSERT column list differs from the table's first INSERT", table=insert.table, line=insert.line
                )
            return
        by_name = {column.name: column for column in output.table.columns}
        unknown = [name for name in names if name not in by_name]
        if unknown:
            raise Problem(f"INSERT names columns not in the table: {unknown}", table=insert.table, line=insert.line)
        output.columns = names
        output.mappings = [
            self._mapping(output, by_name[name]) if self._keeps(output, name) else None for name in names
        ]
        output.tokenizer = Tokenizer([mapping is not None for mapping in output.mappings])

    def _keeps(self, output: _Output, column: str) -> bool:
        return output.policy is None or output.policy.keeps(column)

    def _mapping(self, output: _Output, column) -> Mapping:
        try:
            return mapping_for(column.mysql_type, timestamps_utc=self.timestamps_utc)
        except Problem as problem:
            raise Problem(f"column {column.name!r}: {problem.reason}", table=output.table.name) from None

    def _hashed(self, output: _Output, column: str) -> bool:
        return output.policy is not None and column in output.policy.hash

    def _schema(self, output: _Output) -> pa.Schema:
        fields = []
        for name, mapping in zip(output.columns, output.mappings):
            if mapping is not None:
                arrow = pa.string() if self._hashed(output, name) else mapping.arrow_type
                fields.append(pa.field(name, arrow))
        return pa.schema(fields)

    def _flush(self, output: _Output) -> None:
        """Hand the buffered rows to the writer thread (typing + Parquet); at most MAX_PENDING wait."""
        if output.tokenizer is None or output.tokenizer.rows == 0:
            return
        raws, lines = output.tokenizer.take()
        output.pending_bytes = 0
        self._pending.append(self._writes.submit(self._write, output, raws, lines, self.charset))
        while len(self._pending) > MAX_PENDING or (self._pending and self._pending[0].done()):
            self._pending.popleft().result()

    def _drain(self) -> None:
        """Wait for every submitted batch; raises the first one's Problem."""
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        self._writes.shutdown(wait=True, cancel_futures=True)

    def _write(self, output: _Output, raws: list, lines: list[int], charset: str) -> None:
        arrays = []
        for name, mapping, raw in zip(output.columns, output.mappings, raws):
            if mapping is None:
                continue
            try:
                typed, zeros = convert(mapping, raw, charset)
            except ValueProblem as problem:
                raise Problem(f"column {name!r}: {problem}", table=output.table.name, line=lines[problem.row]) from None
            if zeros:
                output.zero_dates[name] = output.zero_dates.get(name, 0) + zeros
            if self._hashed(output, name):
                typed = self._hash(typed.cast(pa.binary()) if mapping.kind == "text" else raw)
            arrays.append(typed)
        if output.writer is None:
            output.writer = self._writer(output)
        output.writer.write(pa.RecordBatch.from_arrays(arrays, schema=output.writer.schema))

    def _writer(self, output: _Output) -> TableWriter:
        dictionary = [
            name
            for name, mapping in zip(output.columns, output.mappings)
            if mapping is not None
            and mapping.description.startswith(("enum", "set"))
            and not self._hashed(output, name)
        ]
        return TableWriter(self.out_dir, output.table.name, self._schema(output), dictionary)

    def _hash(self, raw: pa.Array) -> pa.Array:
        salt = self.salt
        return pa.array(
            [None if value is None else hashlib.sha256(salt + value).hexdigest() for value in raw.to_pylist()],
            pa.string(),
        )

    def finish(self) -> dict[str, TableManifest]:
        for output in self.outputs.values():
            self._flush(output)
        self._drain()
        tables = {}
        for name, output in self.outputs.items():
            if output.columns is None:  # no INSERT: declared columns minus generated ones
                output.columns = [c.name for c in output.table.columns if not c.generated]
                by_name = {c.name: c for c in output.table.columns}
                output.mappings = [
                    self._mapping(output, by_name[n]) if self._keeps(output, n) else None for n in output.columns
                ]
            if output.writer is None:
                output.writer = self._writer(output)
            output.writer.close()
            tables[name] = self._table_manifest(output)
        return tables

    def _table_manifest(self, output: _Output) -> TableManifest:
        by_name = {column.name: column for column in output.table.columns}
        columns = []
        for name, mapping in zip(output.columns, output.mappings):
            if mapping is None:
                continue
            hashed = self._hashed(output, name)
            zeros = output.zero_dates.get(name, 0)
            columns.append(
                ColumnInfo(
                    name=name,
                    mysql_type=by_name[name].mysql_type,
                    arrow_type=str(pa.string() if hashed else mapping.arrow_type),
                    nullable=by_name[name].nullable or zeros > 0,
                    hashed=hashed,
                    mapping="salted sha256 hex of the MySQL text or bytes -> string" if hashed else mapping.description,
                    zero_dates_nulled=zeros,
                )
            )
        present = set(output.columns)
        excluded = [n for n, m in zip(output.columns, output.mappings) if m is None]
        return TableManifest(
            row_count=output.writer.rows,
            files=output.writer.files,
            columns=columns,
            excluded_columns=excluded,
            omitted_columns=[c.name for c in output.table.columns if c.name not in present],
        )

    def extra(self) -> dict:
        missing = sorted(set(self.policies or ()) - set(self.outputs))
        return {"missing_tables": missing} if missing else {}
