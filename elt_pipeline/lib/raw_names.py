"""Where a group's table lands: its raw asset key and its warehouse table (in the raw dataset).

The default group keeps the plain names (`raw/<table>`, table `<table>`); another group's are
prefixed with the group (`raw/<group>/<table>`, table `<group>__<table>`), so two databases with
a table of the same name never share a raw table.
"""

from __future__ import annotations

from elt_pipeline.lib.pipeline_config import DEFAULT_GROUP

RAW_PREFIX = "raw"


def raw_key_path(group: str, table: str) -> list[str]:
    return [RAW_PREFIX, table] if group == DEFAULT_GROUP else [RAW_PREFIX, group, table]


def raw_table_name(group: str, table: str) -> str:
    return table if group == DEFAULT_GROUP else f"{group}__{table}"
