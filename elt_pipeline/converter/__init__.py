"""MySQL/MariaDB dump -> per-table Parquet + manifest, in one streaming pass.

`convert_dump(dump, out_dir)` reads a mysqldump / mariadb-dump file (plain or gzip), writes
`out_dir/<table>/part-NNNNN.parquet` per table and then `out_dir/_manifest.json`. Bad input
raises `DumpError` (file, table, line) and leaves nothing behind. Type mapping, including the
zero-date policy (zero dates become NULL and are counted), is documented in `types`.
"""

from .convert import CONVERTER_VERSION, convert_dump
from .errors import DumpError

__all__ = ["CONVERTER_VERSION", "DumpError", "convert_dump"]
