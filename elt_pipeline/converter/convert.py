"""convert_dump: one streaming pass over a dump -> per-table Parquet parts + `_manifest.json`."""

from __future__ import annotations

import os
import shutil
from collections import deque
from collections.abc import Callable
from collections.abc import Mapping as MappingType
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from elt_pipeline.lib.manifest import MANIFEST_NAME, Manifest, SkippedObject, TableManifest

from .catalog import Catalog
from .errors import DumpError, Problem
from .output import TableOutput
from .profile import DumpProfile
from .reader import MIN_READ, Comment, Insert, Reader, Statement
from .schema import alter_table, parse_create_table
from .source import DumpSource
from .statements import Action, classify
from .tokenizer import Tokenizer

if TYPE_CHECKING:  # importing it pulls in pydantic: not needed at run time
    from elt_pipeline.lib.pipeline_config import ColumnPolicy

CONVERTER_VERSION = "2.0.0"
BATCH_ROWS = 65_536
BATCH_BYTES = 16 << 20  # dump bytes buffered per table before a row group is written
MAX_PENDING = 2  # batches waiting for the writer thread (bounds memory)
_CHARSETS = {"utf8", "utf8mb3", "utf8mb4", "latin1", "binary"}
_UTC = {"+00:00", "utc", "+0:00", "-00:00"}
_REFUSED_MODES = {"NO_BACKSLASH_ESCAPES", "ANSI_QUOTES", "ANSI"}  # SQL modes that change how VALUES read


@dataclass(frozen=True)
class Options:
    """What `convert_dump` converts and how (see its docstring)."""

    policies: MappingType[str, ColumnPolicy] | None = None
    hash_salt: str = ""
    dump_uri: str | None = None
    database: str | None = None
    accept_unconfirmed_end: bool = False


def convert_dump(
    dump_path: Path,
    out_dir: Path,
    *,
    policies: MappingType[str, ColumnPolicy] | None = None,
    hash_salt: str = "",
    dump_uri: str | None = None,
    max_bytes: int | None = None,
    database: str | None = None,
    accept_unconfirmed_end: bool = False,
) -> Manifest:
    """Convert `dump_path` into `out_dir` (absent or empty); see the package docstring.

    `database`: the source database in a dump of several (and the one a dump must declare, if it
    declares any). `accept_unconfirmed_end`: convert a dump whose generator writes no
    completeness signal at all (risk: a dump cut at a statement boundary converts as if whole).
    """
    options = Options(policies, hash_salt, dump_uri, database, accept_unconfirmed_end)
    return convert_source(Path(dump_path), Path(out_dir), options, lambda path: DumpSource(path, max_bytes))


def convert_source(
    dump_path: Path,
    out_dir: Path,
    options: Options,
    open_source: Callable[[Path], DumpSource],
    min_read: int = MIN_READ,
) -> Manifest:
    """`convert_dump` with the byte source and the reader's read size given (tests split the input)."""
    if out_dir.exists() and any(out_dir.iterdir()):
        raise DumpError(f"output folder {out_dir} is not empty", file=str(dump_path))
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        source = open_source(dump_path)
        conversion = _Conversion(out_dir, options)
        chunks = source.chunks()
        try:
            reader = Reader(chunks, min_read)
            conversion.run(reader)
            tables = conversion.finish(reader, source.compressed)
        finally:
            chunks.close()  # stops the read-ahead thread
            conversion.close()  # waits for the writer thread
        manifest = conversion.manifest(tables, source, str(dump_path))
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


class _Conversion:
    def __init__(self, out_dir: Path, options: Options):
        self.out_dir = out_dir
        self.options = options
        self.catalog = Catalog(options.database)
        self.profile = DumpProfile()
        self.timestamps_utc = False
        self.refused_modes: tuple[str, ...] = ()  # in the SQL mode in force
        self._saved: dict[str, object] = {}  # user variable -> the time zone or SQL mode it saved
        self.charset = "utf8mb4"
        self.outputs: dict[str, TableOutput] = {}  # converted tables of the source database
        self.current: TableOutput | None = None
        self.completeness = ""
        self._writes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet-writer")
        self._pending: deque[Future] = deque()

    # -- the statement loop ---------------------------------------------------------------
    def run(self, reader: Reader) -> None:
        try:
            for item in reader.statements():
                if isinstance(item, Insert):
                    self.profile.statement(None)
                    self._insert(item, reader)
                elif isinstance(item, Comment):
                    if (database := self.profile.comment(item)) is not None:
                        self.catalog.declare_database(database, header=True)
                else:
                    self._statement(item)
        except Problem:
            self._drain()  # a bad value in an earlier batch comes first in the dump: report it
            raise

    def _statement(self, statement: Statement) -> None:
        text = statement.text.decode("utf-8", errors="replace")
        action = classify(text)
        self.profile.statement(action)
        handler = getattr(self, f"_on_{action.kind}", None)
        if handler is not None:
            handler(action, text, statement.line)

    def _on_set(self, action: Action, text: str, line: int) -> None:
        for assignment in action.assignments:
            target, value = assignment.target, assignment.value
            restored = self._saved.get(value)  # SET x = @saved restores what @saved kept
            if target == "names":
                self._flush_current()  # buffered rows were written in the previous character set
                if value not in _CHARSETS:
                    raise Problem(f"unsupported dump character set {value!r}", line=line)
                self.charset = value
            elif target.startswith("@") and value in ("@@time_zone", "@@sql_mode"):
                self._saved[target] = self.timestamps_utc if value == "@@time_zone" else self.refused_modes
            elif target == "time_zone":
                self.timestamps_utc = bool(restored) if value.startswith("@") else value.lower() in _UTC
            elif target == "sql_mode":
                modes = value.upper().split(",")
                self.refused_modes = (restored or ()) if value.startswith("@") else tuple(_REFUSED_MODES & set(modes))

    def _on_use(self, action: Action, text: str, line: int) -> None:
        self.catalog.use(action.names[0][1])

    def _on_create_database(self, action: Action, text: str, line: int) -> None:
        self.catalog.declare_database(action.names[0][1])

    def _on_drop_database(self, action: Action, text: str, line: int) -> None:
        for name in self.catalog.drop_database(action.names[0][1]):
            self._discard(name)

    def _on_create_table(self, action: Action, text: str, line: int) -> None:
        table = parse_create_table(text, line)
        database = self.catalog.database_of(table.database)
        if self.catalog.table(database, table.name) is not None:
            if "IF NOT EXISTS" in action.detail:
                return  # the server keeps the existing table and its rows
            if "OR REPLACE" not in action.detail:
                raise Problem(
                    "CREATE TABLE of a table that already exists (the server stops here)", table=table.name, line=line
                )
            self._drop(database, table.name)
        self.catalog.add(database, table, line)
        if not self.catalog.converts(database):
            return
        policies = self.options.policies
        if policies is not None and table.name not in policies:
            return
        policy = policies[table.name] if policies is not None else None
        if policy is not None:
            unknown = policy.unknown_columns(column.name for column in table.columns)
            if unknown:
                raise Problem(f"column policy names columns not in the table: {unknown}", table=table.name, line=line)
        if table.name in self.outputs:  # same name, other database: one of them is unknown (no USE, no header)
            raise Problem("table declared twice in the dump, in two databases", table=table.name, line=line)
        if table.name in (".", "..") or "/" in table.name or "\0" in table.name:
            raise Problem("table name cannot be used as an output folder name", table=table.name, line=line)
        salt = self.options.hash_salt.encode()
        self.outputs[table.name] = TableOutput(table, policy, self.out_dir, salt, self.timestamps_utc)

    def _on_drop_table(self, action: Action, text: str, line: int) -> None:
        for qualifier, name in action.names:
            database = self.catalog.database_of(qualifier)
            if self.catalog.table(database, name) is None:
                if not action.if_exists:
                    raise Problem(
                        "DROP TABLE of a table that does not exist (the server stops here)", table=name, line=line
                    )
                continue
            self._drop(database, name)

    def _on_truncate(self, action: Action, text: str, line: int) -> None:
        qualifier, name = action.names[0]
        database = self.catalog.database_of(qualifier)
        table = self.catalog.table(database, name)
        if table is None:
            raise Problem("TRUNCATE of a table that does not exist (the server stops here)", table=name, line=line)
        output = self.outputs.get(name) if self.catalog.converts(database) else None
        if output is not None:
            self._discard(name)
            self.outputs[name] = TableOutput(table, output.policy, self.out_dir, output.salt, output.timestamps_utc)

    def _on_alter_table(self, action: Action, text: str, line: int) -> None:
        qualifier, name = action.names[0]
        database = self.catalog.database_of(qualifier)
        table = self.catalog.table(database, name)
        output = self.outputs.get(name) if self.catalog.converts(database) else None
        if table is not None and output is not None:
            output.late_keys += alter_table(text, table, line)

    def _on_create_object(self, action: Action, text: str, line: int) -> None:
        if action.names:
            qualifier, name = action.names[0]
            database = self.catalog.database_of(qualifier)
            self.catalog.skip(action.detail, database, name)
            if action.on is not None:  # dump tools write triggers after their table's rows
                self.catalog.triggers[(database, name)] = (self.catalog.database_of(action.on[0]), action.on[1])

    def _on_drop_object(self, action: Action, text: str, line: int) -> None:
        if action.detail == "trigger" and action.names:
            qualifier, name = action.names[0]
            self.catalog.triggers.pop((self.catalog.database_of(qualifier), name), None)

    def _on_changes_rows(self, action: Action, text: str, line: int) -> None:
        raise Problem(f"{action.detail} statement: rows changed after they were inserted cannot be followed", line=line)

    # -- tables -----------------------------------------------------------------------------
    def _drop(self, database: str | None, name: str) -> None:
        self.catalog.remove(database, name)
        if self.catalog.converts(database) and name in self.outputs:
            self._discard(name)

    def _discard(self, name: str) -> None:
        """Forget a converted table's rows: written parts and buffered rows."""
        output = self.outputs.pop(name, None)
        if output is None:
            return
        self._drain()
        if self.current is output:
            self.current = None
        output.discard()

    def _insert(self, insert: Insert, reader: Reader) -> None:
        if self.refused_modes:
            modes = ", ".join(sorted(self.refused_modes))
            raise Problem(f"SQL mode {modes} changes how values are written: not supported", line=insert.line)
        database = self.catalog.database_of(insert.database)
        table = self.catalog.table(database, insert.table)
        if table is None:
            raise Problem("INSERT into a table not declared by a CREATE TABLE", table=insert.table, line=insert.line)
        output = self.outputs.get(insert.table) if self.catalog.converts(database) else None
        if output is not None and self.catalog.triggered(database, insert.table):
            raise Problem(
                "a trigger on this table comes before its rows: the server would run it on them (not supported)",
                table=insert.table,
                line=insert.line,
            )
        if output is None:  # not converted: only checked for syntax
            skipper = Tokenizer([False] * len(insert.columns or table.visible))
            reader.feed_values(skipper, insert, lambda _: skipper.rows >= BATCH_ROWS and skipper.take())
            return
        if self.current is not None and self.current is not output:
            self._flush(self.current)
        self.current = output
        tokenizer = output.prepare(insert, self.timestamps_utc)
        try:
            reader.feed_values(tokenizer, insert, lambda read: self._progress(output, read))
        except Problem as problem:
            problem.table = problem.table or insert.table
            problem.reason += output.describe_column(problem.column)
            raise

    def _progress(self, output: TableOutput, read: int) -> None:
        """Write a row group once enough rows or bytes are buffered (also mid-INSERT)."""
        output.pending_bytes += read
        if output.tokenizer.rows >= BATCH_ROWS or output.pending_bytes >= BATCH_BYTES:
            self._flush(output)

    def _flush_current(self) -> None:
        if self.current is not None:
            self._flush(self.current)

    def _flush(self, output: TableOutput) -> None:
        """Hand the buffered rows to the writer thread (typing + Parquet); at most MAX_PENDING wait."""
        batch = output.take()
        if batch is None:
            return
        self._pending.append(self._writes.submit(output.write, *batch, self.charset))
        while len(self._pending) > MAX_PENDING or (self._pending and self._pending[0].done()):
            self._pending.popleft().result()

    def _drain(self) -> None:
        """Wait for every submitted batch; raises the first one's Problem."""
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        self._writes.shutdown(wait=True, cancel_futures=True)

    # -- the end ------------------------------------------------------------------------------
    def finish(self, reader: Reader, compressed: bool) -> dict[str, TableManifest]:
        """Check the end of the dump, then close every table; their manifests."""
        for output in self.outputs.values():
            self._flush(output)
        self._drain()  # a bad value comes before the end of the dump: reported first
        end = self.profile.end(reader.last_byte == b"\n")
        if end.signal is None and (end.truncated or not self.options.accept_unconfirmed_end):
            hint = "" if end.truncated else " (accept_unconfirmed_end converts it anyway, at the risk of a cut dump)"
            raise Problem(f"truncated dump: {end.problem}{hint}", line=reader.last_line)
        self.completeness = (
            end.signal or f"none ({end.problem}; accepted: a dump cut at a statement boundary would pass)"
        )
        if compressed:
            self.completeness += " + the gzip trailer (CRC-32 and length)"
        self.catalog.check_source()
        tables = {}
        for name, output in self.outputs.items():
            output.close()
            output.resolve_duplicates()
            tables[name] = output.manifest()
        return tables

    def manifest(self, tables: dict[str, TableManifest], source: DumpSource, file: str) -> Manifest:
        options = self.options
        missing = sorted(set(options.policies or ()) - set(self.outputs))
        return Manifest(
            tables=tables,
            converter_version=CONVERTER_VERSION,
            dump_uri=options.dump_uri if options.dump_uri is not None else file,
            dump_sha256=source.sha256,
            dump_bytes=source.size,
            extra={"missing_tables": missing} if missing else {},
            databases=list(self.catalog.databases),
            database=self.catalog.converted,
            generator=self.profile.generator,
            completeness=self.completeness,
            skipped_objects=[SkippedObject(kind, name, database) for kind, database, name in self.catalog.skipped],
        )
