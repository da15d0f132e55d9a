"""MySQL/MariaDB dump -> per-table Parquet + manifest, in one streaming pass.

`convert_dump(dump, out_dir)` reads a dump (plain or gzip, detected by magic bytes) written by
mysqldump 5.x/8.x (also through MySQL Workbench or a Cloud SQL export), mariadb-dump 10.x/11.x,
phpMyAdmin or Adminer, writes `out_dir/<table>/part-NNNNN.parquet` per table of the source
database and then `out_dir/_manifest.json` last. Bad input (damaged or truncated gzip, a dump
cut short, syntax error, INSERT into an undeclared table, column count mismatch, invalid UTF-8
in a text column, a value that does not fit its column, dump larger than `max_bytes`, a
statement whose effect on rows cannot be followed) raises `DumpError` naming the file, table and
line, and leaves nothing behind in `out_dir`.

- Completeness: the check that fits the generator (`profile`): its trailer, or its closing
  statements; gzip input also by its own trailer. `accept_unconfirmed_end` lets a dump that
  carries no signal at all convert.
- Source database: `catalog` (one database per dump, or the `database` argument).
- The dump's statements are followed as the server would: a table dropped or re-created keeps
  only its last definition and the rows inserted after it; TRUNCATE empties it; CREATE TABLE IF
  NOT EXISTS keeps the existing one. Views, triggers, routines, events and sequences are skipped
  and named in the manifest.
- Types map faithfully (details in `mysql_types`); zero dates become NULL and are counted.
- Hashed columns (column policy) hold sha256(salt + the value's bytes, text as UTF-8) as hex,
  computed without typing the value; NULL stays NULL. Excluded columns are skipped by the
  tokenizer, never converted. No error message quotes a value of a hashed or excluded column
  (tokenizer errors quote no input bytes at all). A column the policy does not list follows its
  `new_columns` (excluded, hashed or in clear) and is named in the manifest (`unlisted_columns`).

The VALUES tokenizer is a C extension built by `pip install`; a pure-Python twin with
identical output is used when it is not built (or with ELT_PURE_PYTHON_TOKENIZER=1).
"""

from .convert import CONVERTER_VERSION, convert_dump
from .errors import DumpError

__all__ = ["CONVERTER_VERSION", "DumpError", "convert_dump"]
