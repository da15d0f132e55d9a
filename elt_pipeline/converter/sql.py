"""SQL text as tokens, for the statement parsers (schema, statements)."""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"""\s+|/\*M?!\d*|\*/|/\*[\s\S]*?\*/|--[ \t][^\n]*|\#[^\n]*
    |`(?:[^`]|``)*`|'(?:[^'\\]|\\[\s\S]|'')*'|"(?:[^"\\]|\\[\s\S]|"")*"
    |[A-Za-z0-9_$]+|[\s\S]""",
    re.VERBOSE,
)


def tokens(text: str) -> list[str]:
    """Significant tokens: executable-comment markers, plain comments and blanks dropped.

    Words, `quoted` identifiers and 'string' literals are one token each; any other character
    (punctuation, '.', '@', '=') is a token of its own.
    """
    out = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token[0] in " \t\r\n\f\v" or token.startswith(("/*", "--", "#")) or token == "*/":
            continue
        out.append(token)
    return out


def ident(token: str) -> str:
    """An identifier token's name: `a``b` -> a`b, bare names as they are."""
    if token.startswith("`") and token.endswith("`") and len(token) > 1:
        return token[1:-1].replace("``", "`")
    return token


def string_value(token: str) -> str | None:
    """The text of a 'string' or "string" literal token (backslash and doubled quotes undone), else None."""
    if len(token) < 2 or token[0] not in "'\"" or token[-1] != token[0]:
        return None
    body, quote = token[1:-1], token[0]
    return re.sub(r"\\(.)|" + quote * 2, lambda m: m.group(1) if m.group(1) is not None else quote, body)


def qualified_name(parts: list[str], at: int) -> tuple[str | None, str, int]:
    """(database or None, name, index after the name) of `name` or `db`.`name` at parts[at]."""
    first = ident(parts[at])
    if at + 2 < len(parts) and parts[at + 1] == ".":
        return first, ident(parts[at + 2]), at + 3
    return None, first, at + 1


def upper(parts: list[str], count: int) -> list[str]:
    """The first `count` tokens in upper case (keywords compare case-insensitively)."""
    return [part.upper() for part in parts[:count]]


def split_commas(parts: list[str]) -> list[list[str]]:
    """`parts` split at commas outside parentheses (a trailing ';' dropped), empty pieces dropped."""
    pieces: list[list[str]] = [[]]
    depth = 0
    for token in parts:
        depth += (token == "(") - (token == ")")
        if token == "," and depth == 0:
            pieces.append([])
        elif token != ";":
            pieces[-1].append(token)
    return [piece for piece in pieces if piece]
