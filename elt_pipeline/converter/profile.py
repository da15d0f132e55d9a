"""Who wrote a dump, which databases its comments name, and which signal confirms that it is complete.

Each generator gets the check that fits what it writes:
- mysqldump and mariadb-dump (also MySQL Workbench and Cloud SQL exports, which run mysqldump)
  end with a `-- Dump completed [on <date>]` line whenever their header comment is there: that
  line, whole, must be the last thing in the dump.
- Adminer ends with a `-- <date>` line: that line, whole, must be the last thing in the dump.
- phpMyAdmin, and mysqldump/mariadb-dump run with --skip-comments, write no trailer. They save
  session settings at the start (`SET @OLD_x=@@x`) and phpMyAdmin opens a transaction; the
  dump is complete when every setting saved before the first table is restored (`SET x=@OLD_x`)
  and the transaction committed after the last table statement, and the input ends with the
  newline after that last statement.
- A dump that saves nothing and has no trailer carries no signal: it converts only when the
  caller accepts that (`accept_unconfirmed_end`); a cut at a statement boundary would then go
  unnoticed. Gzip input is, in every case, also checked for its own trailer (CRC-32 and length)
  by the reader.
A dump cut at any byte therefore fails one of these checks, except a cut that removes only
blank lines after the generator's last statement, where nothing is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .reader import Comment
from .statements import Action

_GENERATORS = [
    (re.compile(rb"-- MySQL dump (.+)"), "mysqldump"),
    (re.compile(rb"-- MariaDB dump (.+)"), "mariadb-dump"),
    (re.compile(rb"-- phpMyAdmin SQL Dump()"), "phpMyAdmin"),
    (re.compile(rb"-- Adminer (.+) dump"), "Adminer"),
]
_VERSION = re.compile(rb"-- version (\S+)")  # phpMyAdmin's second line
SANDBOX = b"/*M!999999\\- enable the sandbox mode */"  # mariadb-dump's first line since 10.5.25 / 11.x
_TRAILER = re.compile(rb"-- Dump completed(?: on \d{4}-\d\d-\d\d [ \d]\d:\d\d:\d\d)?")
_ADMINER_END = re.compile(rb"-- \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?: \S+)?")
_DATABASE_COMMENTS = [
    re.compile(rb"-- Host: .*?\sDatabase: (?:`((?:[^`]|``)+)`|(\S+))"),  # mysqldump, mariadb-dump
    re.compile(rb"-- (?:Current )?Database: (?:`((?:[^`]|``)+)`|(\S+))"),  # mysqldump --databases, phpMyAdmin
]
_TABLE_KINDS = {"create_table", "drop_table", "truncate", "alter_table", "create_object", "drop_object", "changes_rows"}
TRAILER_WRITERS = ("mysqldump", "mariadb-dump")


@dataclass(frozen=True)
class End:
    """How the end of the dump was confirmed (`signal`), or why it was not (`problem`)."""

    signal: str | None
    problem: str | None = None
    truncated: bool = False  # the generator's own signal is missing: cut short, whatever the caller accepts


class DumpProfile:
    """Fed every comment and statement in order; `end()` judges the end of the input."""

    def __init__(self) -> None:
        self.generator: str | None = None  # "mysqldump 10.13  Distrib 8.0.36, for Linux (x86_64)", ...
        self._writer: str | None = None  # the generator's short name
        self._header = True  # before the first statement on a table or other object
        self._saved: set[str] = set()  # settings saved in the header (user variables), "transaction"
        self._restored: set[str] = set()  # restored since the last table statement
        self._last: str | None = None  # "trailer" or "adminer" when that comment is the last thing so far

    def comment(self, comment: Comment) -> str | None:
        """Note a comment; returns the database it names, if it names one."""
        text = comment.text
        if self._header and self._writer in (None, "mariadb-dump-bare"):
            if text.startswith(SANDBOX):
                self.generator = "mariadb-dump (no header comment)"
                self._writer = "mariadb-dump-bare"
            for pattern, name in _GENERATORS:
                match = pattern.match(text)
                if match:
                    self.generator, self._writer = f"{name} {match.group(1).decode(errors='replace')}".strip(), name
        elif self._writer == "phpMyAdmin" and self.generator == "phpMyAdmin" and (match := _VERSION.match(text)):
            self.generator = f"phpMyAdmin {match.group(1).decode(errors='replace')}"
        if comment.terminated and _TRAILER.fullmatch(text):
            self._last = "trailer"
        elif comment.terminated and self._writer == "Adminer" and _ADMINER_END.fullmatch(text):
            self._last = "adminer"
        for pattern in _DATABASE_COMMENTS:
            match = pattern.match(text)
            if match:
                quoted, bare = match.groups()
                return quoted.decode(errors="replace").replace("``", "`") if quoted else bare.decode(errors="replace")
        return None

    def statement(self, action: Action | None) -> None:
        """Note a statement (None: an INSERT)."""
        self._last = None
        kind = "insert" if action is None else action.kind
        if kind == "insert" or kind in _TABLE_KINDS:
            self._header = False
            self._saved -= self._restored  # restored and followed by more tables: saved per table, not for the dump
            self._restored.clear()
        elif kind == "start_transaction" and self._header:
            self._saved.add("transaction")
        elif kind == "commit":
            self._restored.add("transaction")
        elif kind == "set":
            for assignment in action.assignments:
                target, value = assignment.target, assignment.value
                if target.startswith("@") and value.startswith("@@") and self._header:
                    self._saved.add(target)
                elif not target.startswith("@") and value.startswith("@") and not value.startswith("@@"):
                    self._restored.add(value)

    def end(self, ends_with_newline: bool) -> End:
        """The completeness signal the dump carries, checked at the end of its input."""
        if self._last == "trailer":
            return End("the '-- Dump completed' trailer")
        if self._writer in TRAILER_WRITERS:
            return End(None, f"no '-- Dump completed' trailer at the end ({self._writer} writes one)", True)
        if self._writer == "Adminer":
            if self._last == "adminer":
                return End("Adminer's closing '-- <date>' line")
            return End(None, "no closing '-- <date>' line at the end (Adminer writes one)", True)
        if not self._saved:
            return End(None, "the dump carries no completeness signal (no trailer, no settings saved and restored)")
        missing = sorted(self._saved - self._restored)
        if missing:
            named = ", ".join("a COMMIT" if name == "transaction" else f"a restore of {name}" for name in missing)
            return End(None, f"the dump stops before its closing statements ({named} missing)", True)
        if not ends_with_newline:
            return End(None, "the dump stops right after its last statement (the closing newline is missing)", True)
        return End("its closing statements (settings saved at the start restored, transaction committed)")
