"""What a dump statement other than INSERT does, as far as the converter cares.

`classify(text)` reads the statement's leading tokens (executable-comment markers dropped, so
`/*!40101 SET NAMES utf8mb4 */` is a SET) and returns an `Action`. Statements that cannot change
table rows or definitions (LOCK TABLES, SET FOREIGN_KEY_CHECKS, GRANT, ...) are "other".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .sql import ident, qualified_name, split_commas, string_value, tokens, upper

# Objects a dump may define that are not tables: skipped, and named in the manifest.
OBJECTS = ("VIEW", "TRIGGER", "PROCEDURE", "FUNCTION", "EVENT", "SEQUENCE", "PACKAGE")
_HEAD = 4096  # characters of a statement read to classify it
_CHANGES_ROWS = {"UPDATE", "DELETE", "LOAD", "CALL", "RENAME", "ROLLBACK"}
_SCOPES = {"GLOBAL", "SESSION", "LOCAL", "PERSIST"}


@dataclass(frozen=True)
class Assignment:
    """One `target = value` of a SET: names are lower case, user variables keep their '@'."""

    target: str  # "@name" (user variable), a system variable name, or "names" (SET NAMES / CHARACTER SET)
    value: str  # a string literal's text, "@name", "@@name" (system variable), or a bare word


@dataclass(frozen=True)
class Action:
    kind: str  # set, use, create_database, drop_database, create_table, drop_table, truncate, alter_table,
    #            create_object, drop_object, start_transaction, commit, changes_rows, other
    names: list[tuple[str | None, str]] = field(default_factory=list)  # (database or None, name) it acts on
    detail: str = ""  # create_table: IF NOT EXISTS / OR REPLACE; *_object: the object kind; changes_rows: the verb
    assignments: list[Assignment] = field(default_factory=list)  # set
    if_exists: bool = False  # drop_table
    on: tuple[str | None, str] | None = None  # create_object of a trigger: the table it fires on


def classify(text: str) -> Action:
    parts = tokens(text[:_HEAD])
    words = upper(parts, 12)
    if not words:
        return Action("other")
    verb = words[0]
    if verb == "SET":
        return Action("set", assignments=_assignments(parts[1:]))
    if verb == "USE" and len(parts) > 1:
        return Action("use", [(None, ident(parts[1]))])
    if verb in ("START", "BEGIN") and words[:2] != ["BEGIN", "NOT"]:
        return Action("start_transaction")
    if verb == "COMMIT":
        return Action("commit")
    if verb in ("CREATE", "DROP", "ALTER", "TRUNCATE"):
        return _definition(parts, words)
    if verb in _CHANGES_ROWS:
        return Action("changes_rows", detail=" ".join(words[:2]) if verb == "LOAD" else verb)
    return Action("other")


def _definition(parts: list[str], words: list[str]) -> Action:
    """CREATE / DROP / ALTER / TRUNCATE of a database, table or other object."""
    verb = words[0]
    at = 1
    while at < len(parts) and parts[at].upper() in ("OR", "REPLACE", "TEMPORARY", "AGGREGATE", "ONLINE", "IGNORE"):
        at += 1
    while at < len(parts) and parts[at].upper() in ("ALGORITHM", "DEFINER", "SQL"):  # CREATE ALGORITHM=.. VIEW
        at = _skip_option(parts, at)
    kind = parts[at].upper() if at < len(parts) else ""
    if kind in ("DATABASE", "SCHEMA"):
        name = _name_after(parts, at + 1)
        if name is None:
            return Action("other")
        return Action("create_database" if verb == "CREATE" else "drop_database" if verb == "DROP" else "other", [name])
    if kind == "TABLE" or verb == "TRUNCATE":
        at += kind == "TABLE"
        if verb == "DROP":
            return _drop_tables(parts, at)
        name = _name_after(parts, at)
        if name is None:
            return Action("other")
        if verb == "CREATE":
            flags = " ".join(w for w in ("IF NOT EXISTS", "OR REPLACE") if w in " ".join(words))
            return Action("create_table", [name], detail=flags)
        return Action({"ALTER": "alter_table", "TRUNCATE": "truncate"}[verb], [name])
    if kind in OBJECTS and verb in ("CREATE", "DROP"):
        name = _name_after(parts, at + 1)
        action = "create_object" if verb == "CREATE" else "drop_object"
        on = None
        if kind == "TRIGGER" and "ON" in (upper_parts := [part.upper() for part in parts]):
            on = _name_after(parts, upper_parts.index("ON") + 1)
        return Action(action, [name] if name else [], detail=kind.lower(), on=on)
    return Action("other")


def _skip_option(parts: list[str], at: int) -> int:
    """Index after `ALGORITHM=x`, `DEFINER=user@host` or `SQL SECURITY x`."""
    if parts[at].upper() == "SQL":
        return at + 3
    at += 3 if at + 1 < len(parts) and parts[at + 1] == "=" else 1
    if at < len(parts) and parts[at] == "@":  # user@host
        at += 2
    if at < len(parts) and parts[at] == "(":  # CURRENT_USER()
        at += 2
    return at


def _name_after(parts: list[str], at: int) -> tuple[str | None, str] | None:
    while at < len(parts) and parts[at].upper() in ("IF", "NOT", "EXISTS", "TABLE"):
        at += 1
    if at >= len(parts) or parts[at] in ("(", ";"):
        return None
    database, name, _ = qualified_name(parts, at)
    return database, name


def _drop_tables(parts: list[str], at: int) -> Action:
    """DROP TABLE [IF EXISTS] a, b, ... [RESTRICT | CASCADE]."""
    if_exists = [word.upper() for word in parts[at : at + 2]] == ["IF", "EXISTS"]
    at += 2 * if_exists
    names = []
    while at < len(parts) and parts[at].upper() not in ("RESTRICT", "CASCADE", ";"):
        database, name, at = qualified_name(parts, at)
        names.append((database, name))
        at += at < len(parts) and parts[at] == ","
    return Action("drop_table", names, if_exists=if_exists)


def _assignments(parts: list[str]) -> list[Assignment]:
    """The assignments of a SET statement's tokens (after SET)."""
    out: list[Assignment] = []
    for piece in split_commas(parts):
        words = [word.upper() for word in piece]
        if words[:1] == ["NAMES"] and len(piece) > 1:
            out.append(Assignment("names", (string_value(piece[1]) or piece[1]).lower()))
            continue
        if words[:2] in (["CHARACTER", "SET"], ["CHARSET"]) and len(piece) > len(words[:2]):
            out.append(Assignment("names", (string_value(piece[len(words[:2])]) or piece[len(words[:2])]).lower()))
            continue
        if "=" not in piece:
            continue
        equals = piece.index("=")
        target, value = _variable(piece[:equals]), piece[equals + 1 :]
        if target and value:
            out.append(Assignment(target, _value(value)))
    return out


def _variable(parts: list[str]) -> str:
    """'@name' for a user variable, else the system variable's lower-case name (scope dropped)."""
    parts = [part for part in parts if part != ":"]  # SET @a := 1
    if len(parts) >= 2 and parts[0] == "@" and parts[1] != "@":
        return "@" + ident(parts[1]).lower()
    while parts and parts[0] == "@":
        parts = parts[1:]
    if len(parts) >= 3 and parts[1] == ".":  # @@session.x
        parts = parts[2:]
    elif len(parts) == 2 and parts[0].upper() in _SCOPES:  # SET SESSION x = ...
        parts = parts[1:]
    return ident(parts[0]).lower() if len(parts) == 1 else ""


def _value(parts: list[str]) -> str:
    literal = string_value(parts[0])
    if literal is not None:
        return literal
    if parts[0] == "@":
        return "@@" + _variable(parts) if parts[1:2] == ["@"] else _variable(parts)
    return parts[0].lower()
