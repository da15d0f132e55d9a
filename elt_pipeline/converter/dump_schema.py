"""The tables a dump leaves on the server (columns, MySQL types, unique keys), without converting rows.

One streaming pass, following CREATE / DROP / ALTER TABLE and USE as `convert_dump` does; the
VALUES of every INSERT are only checked for syntax. Used to onboard a source from a dump.
"""

from __future__ import annotations

from pathlib import Path

from .catalog import Catalog
from .errors import DumpError, Problem
from .profile import DumpProfile
from .reader import Comment, Insert, Reader
from .schema import Table, alter_table, parse_create_table
from .source import DumpSource
from .statements import Action, classify
from .tokenizer import Tokenizer


def read_dump_schema(
    dump_path: Path, database: str | None = None, *, accept_unconfirmed_end: bool = False
) -> dict[str, Table]:
    """Table name -> definition of the tables of the dump's source database (`database`, else the
    one database it holds), in dump order. A dump cut short (which would lack tables) is refused
    as `convert_dump` refuses it. Raises `DumpError` naming the file, table and line."""
    catalog, profile = Catalog(database), DumpProfile()
    source = DumpSource(Path(dump_path), None)
    chunks = source.chunks()
    try:
        reader = Reader(chunks)
        for item in reader.statements():
            if isinstance(item, Insert):
                profile.statement(None)
                _skip_values(reader, catalog, item)
            elif isinstance(item, Comment):
                if (named := profile.comment(item)) is not None:
                    catalog.declare_database(named, header=True)
            else:
                text = item.text.decode("utf-8", errors="replace")
                action = classify(text)
                profile.statement(action)
                _follow(catalog, action, text, item.line)
        end = profile.end(reader.last_byte == b"\n")
        if end.signal is None and (end.truncated or not accept_unconfirmed_end):
            raise Problem(f"truncated dump: {end.problem}", line=reader.last_line)
        catalog.check_source()
    except Problem as problem:
        raise DumpError(problem.reason, file=str(dump_path), table=problem.table, line=problem.line) from None
    finally:
        chunks.close()
    return {table.name: table for table in catalog.source_tables()}


def _follow(catalog: Catalog, action: Action, text: str, line: int) -> None:
    """Apply one statement's effect on the table definitions."""
    if action.kind == "use":
        catalog.use(action.names[0][1])
    elif action.kind == "create_database":
        catalog.declare_database(action.names[0][1])
    elif action.kind == "drop_database":
        catalog.drop_database(action.names[0][1])
    elif action.kind == "create_table":
        table = parse_create_table(text, line)
        database = catalog.database_of(table.database)
        if catalog.table(database, table.name) is not None and "IF NOT EXISTS" in action.detail:
            return
        catalog.remove(database, table.name)
        catalog.add(database, table, line)
    elif action.kind == "drop_table":
        for qualifier, name in action.names:
            catalog.remove(catalog.database_of(qualifier), name)
    elif action.kind == "alter_table":
        qualifier, name = action.names[0]
        table = catalog.table(catalog.database_of(qualifier), name)
        if table is not None:
            table.unique_keys.extend(alter_table(text, table, line))


def _skip_values(reader: Reader, catalog: Catalog, insert: Insert) -> None:
    table = catalog.table(catalog.database_of(insert.database), insert.table)
    if table is None:
        raise Problem("INSERT into a table not declared by a CREATE TABLE", table=insert.table, line=insert.line)
    skipper = Tokenizer([False] * len(insert.columns or table.visible))
    reader.feed_values(skipper, insert, lambda _: skipper.rows >= 65_536 and skipper.take())
