"""MySQL/MariaDB dump -> per-table Parquet + manifest, in one streaming pass.

`convert_dump(dump, out_dir)` reads a mysqldump / mariadb-dump file (plain or gzip, detected by
magic bytes), writes `out_dir/<table>/part-NNNNN.parquet` per table and then
`out_dir/_manifest.json` last. Bad input (damaged or truncated gzip, no `-- Dump completed`
trailer, syntax error, INSERT into an undeclared table, column count mismatch, invalid UTF-8
in a text column, a value that does not fit its column, dump larger than `max_bytes`) raises
`DumpError` naming the file, table and line, and leaves nothing behind in `out_dir`.

Policies (details in `mysql_types`):
- Types map faithfully: exact integers of every width and sign, DECIMAL up to (65,30) as
  decimal128/decimal256, DATETIME/TIMESTAMP as timestamp[us] (TIMESTAMP in UTC), TIME as
  signed int64 microseconds, BIT as uint64, text as string, binary/GEOMETRY as bytes.
- Zero dates ('0000-00-00', or a zero month/day) become NULL and are counted per column in the
  manifest (`ColumnInfo.zero_dates_nulled`); never a crash.
- Columns are those of the table's INSERTs (mariadb-dump writes generated and invisible
  columns; MySQL's mysqldump leaves generated ones out: those are listed in
  `TableManifest.omitted_columns`). Views, triggers, routines and sequences are not tables.
- Hashed columns (column policy) hold sha256(salt + value bytes) as hex; NULL stays NULL.
- Text is decoded with the dump's `SET NAMES` character set (utf8/utf8mb3/utf8mb4, latin1).

The VALUES tokenizer is a C extension built by `pip install`; a pure-Python twin with
identical output is used when it is not built (or with ELT_PURE_PYTHON_TOKENIZER=1).
"""

from .convert import CONVERTER_VERSION, convert_dump
from .errors import DumpError

__all__ = ["CONVERTER_VERSION", "DumpError", "convert_dump"]
