"""Table definitions from CREATE TABLE statements (as mysqldump / mariadb-dump write them)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from .errors import Problem
from .reader import split_name, unquote

_TOKEN = re.compile(
    r"""\s+|/\*M?!\d*|\*/|/\*[\s\S]*?\*/|--[ \t][^\n]*|\#[^\n]*
    |`(?:[^`]|``)+`|'(?:[^'\\]|\\[\s\S]|'')*'|"(?:[^"\\]|\\[\s\S]|"")*"
    |[A-Za-z0-9_$.]+|[\s\S]""",
    re.VERBOSE,
)
_CREATE_TABLE = re.compile(
    r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?", re.IGNORECASE
)
_CREATE_VIEW = re.compile(
    r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:ALGORITHM\s*=\s*\w+\s+)?(?:DEFINER\s*=\s*\S+(?:\s*@\s*\S+)?\s+)?"
    r"(?:SQL\s+SECURITY\s+\w+\s+)?VIEW\s+((?:`(?:[^`]|``)+`|[\w$]+)(?:\s*\.\s*(?:`(?:[^`]|``)+`|[\w$]+))?)",
    re.IGNORECASE,
)
_NOT_COLUMNS = {
    "PRIMARY",
    "KEY",
    "INDEX",
    "UNIQUE",
    "CONSTRAINT",
    "FOREIGN",
    "FULLTEXT",
    "SPATIAL",
    "CHECK",
    "PERIOD",
    "SYSTEM",
}
_TYPE_FLAGS = {"UNSIGNED", "SIGNED", "ZEROFILL"}


@dataclass(frozen=True)
class Column:
    name: str
    mysql_type: str  # e.g. "int(10) unsigned", "enum('a','b')", "decimal(65,30)"
    nullable: bool
    generated: bool
    invisible: bool


@dataclass(frozen=True)
class Table:
    database: str | None
    name: str
    columns: list[Column]


def _tokens(text: str) -> list[str]:
    """Significant tokens; executable-comment markers and plain comments dropped."""
    out = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token[0] in " \t\r\n" or token.startswith(("/*", "--", "#")) or token == "*/":
            continue
        out.append(token)
    return out


def view_name(text: str) -> str | None:
    """The view named by a CREATE VIEW statement (inside conditional comments too), else None."""
    match = _CREATE_VIEW.match(" ".join(_tokens(text)))
    return split_name(match.group(1).encode())[1] if match else None


def parse_create_table(text: str, line: int) -> Table | None:
    """The table defined by a CREATE TABLE statement; None if `text` is not one."""
    tokens = _tokens(text)
    joined = " ".join(tokens[:8])
    head = _CREATE_TABLE.match(joined)
    if head is None:
        return None
    consumed = len(_tokens(head.group(0)))
    name_tokens = []
    at = consumed
    while at < len(tokens) and tokens[at] != "(":
        name_tokens.append(tokens[at])
        at += 1
    if at >= len(tokens) or not name_tokens or name_tokens[0].upper() == "LIKE":
        raise Problem("unsupported CREATE TABLE form (expected a column list)", line=line)
    database, name = split_name("".join(name_tokens).encode())
    definitions = _split_top_level(tokens, at, line, name)
    columns = [_column(d, line, name) for d in definitions if d and d[0].upper() not in _NOT_COLUMNS]
    if not columns:
        raise Problem("CREATE TABLE declares no columns", table=name, line=line)
    return Table(database, name, columns)


def _split_top_level(tokens: list[str], open_at: int, line: int, table: str) -> list[list[str]]:
    """The comma-separated definitions between the parenthesis at `open_at` and its match."""
    parts: list[list[str]] = [[]]
    depth = 0
    for token in tokens[open_at:]:
        if token == "(":
            depth += 1
            if depth == 1:
                continue
        elif token == ")":
            depth -= 1
            if depth == 0:
                return parts
        elif token == "," and depth == 1:
            parts.append([])
            continue
        parts[-1].append(token)
    raise Problem("unbalanced parentheses in CREATE TABLE", table=table, line=line)


def _column(definition: list[str], line: int, table: str) -> Column:
    name = unquote(definition[0].encode()) if definition[0].startswith("`") else definition[0]
    if len(definition) < 2:
        raise Problem(f"column {name!r} has no type", table=table, line=line)
    type_parts = [definition[1].lower()]
    at = 2
    if at < len(definition) and definition[at] == "(":
        depth, args = 0, []
        while at < len(definition):
            token = definition[at]
            depth += token == "("
            depth -= token == ")"
            args.append(token)
            at += 1
            if depth == 0:
                break
        type_parts[0] += "".join(args)
    while at < len(definition) and definition[at].upper() in _TYPE_FLAGS:
        type_parts.append(definition[at].lower())
        at += 1
    rest = [token.upper() for token in definition[at:]]
    generated = "AS" in rest and ("GENERATED" in rest or rest[rest.index("AS") + 1 : rest.index("AS") + 2] == ["("])
    nullable = not any(a == "NOT" and b == "NULL" for a, b in itertools.pairwise(rest))
    return Column(name, " ".join(type_parts), nullable, generated, "INVISIBLE" in rest)
