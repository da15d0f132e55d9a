"""An onboarded database's dbt sources file: `dbt_project/models/staging/_<source>__sources.yml`.

One dbt source per onboarded database, its tables pointing at the raw table assets of its source
group (`meta.dagster.asset_key`, `lib/raw_names.py`) so dbt lineage joins the pipeline's, and at
the group's warehouse tables (`identifier: <group>__<table>` outside the default group). Columns
carry their MySQL type (`data_type`) and a `not_null` test when MySQL declares them NOT NULL;
every primary or unique key whose columns are all replicated and NOT NULL becomes a
`unique_combination` test per (_source_db, _dump_date) partition, as the raw tables hold every
source and dump date. Excluded columns are not listed; hashed ones say so. `dbt source
freshness` reads a table's newest `_dump_date`, with the shop sources' thresholds.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from elt_pipeline.converter.schema import Column, Table
from elt_pipeline.lib.pipeline_config import ColumnPolicy, SourceGroup
from elt_pipeline.lib.raw_names import raw_key_path, raw_table_name
from elt_pipeline.lib.schema_diff import ColumnChange, SchemaDiff

RAW_SCHEMA = "{{ var('raw_dataset', 'elt_raw') }}"
PARTITION_COLUMNS = {
    "_dump_date": "The day of the dump the row comes from.",
    "_source_db": "The source database the row comes from.",
}
HASHED_NOTE = "Salted SHA-256 (hex) of the value: joinable, not readable."
# As in _shop__sources.yml: D's dumps land overnight after D+1 begins, so a healthy source's newest
# dump date is at most ~2 days old; warn once a night is missing, error after two.
FRESHNESS_CONFIG = {
    "loaded_at_field": "cast(_dump_date as timestamp)",
    "freshness": {"warn_after": {"count": 3, "period": "day"}, "error_after": {"count": 4, "period": "day"}},
}


def dbt_sources_path(dbt_project_dir: Path, source: str) -> Path:
    return Path(dbt_project_dir) / "models" / "staging" / f"_{source}__sources.yml"


def update_dbt_sources(
    document: CommentedMap | None,
    source: str,
    tables: Mapping[str, Table],
    group: str,
    members: SourceGroup,
    diff: SchemaDiff,
) -> CommentedMap:
    """`document` (the file's round-trip YAML, None if absent) with dbt source `source` brought to
    `tables` as source group `group` (`members`) replicates them: tables it lacks added whole,
    `diff`'s changes applied."""
    if document is None:
        document = CommentedMap(version=2, sources=CommentedSeq())
    entry = next((found for found in document["sources"] if found["name"] == source), None)
    if entry is None:
        entry = _source(source)
        document["sources"].append(entry)
    listed = entry.setdefault("tables", CommentedSeq())
    for name in diff.removed_tables:
        listed[:] = [table for table in listed if table["name"] != name]
    present = {table["name"]: table for table in listed}
    for name, table in tables.items():
        if name not in present:
            listed.append(_table(table, group, members.tables[name].columns))
    for change in diff.columns:
        if change.table in present:
            _change_column(present[change.table], tables[change.table], members.tables[change.table].columns, change)
    return document


def _source(name: str) -> CommentedMap:
    return CommentedMap(
        name=name,
        description=f"The {name} database as elt-pipeline replicates it (written by `elt-pipeline add-source`).",
        schema=RAW_SCHEMA,
        config=CommentedMap(
            loaded_at_field=FRESHNESS_CONFIG["loaded_at_field"],
            freshness=CommentedMap({when: _flow(after) for when, after in FRESHNESS_CONFIG["freshness"].items()}),
        ),
        tables=CommentedSeq(),
    )


def _table(table: Table, group: str, policy: ColumnPolicy) -> CommentedMap:
    entry = CommentedMap(name=table.name)
    if raw_table_name(group, table.name) != table.name:
        entry["identifier"] = raw_table_name(group, table.name)
    entry["meta"] = _flow({"dagster": _flow({"asset_key": _flow(raw_key_path(group, table.name))})})
    nullable = {column.name: column.nullable for column in table.columns}
    keys = [
        [part.column for part in key]
        for key in table.unique_keys
        if all(policy.keeps(part.column) and not nullable.get(part.column, True) for part in key)
    ]
    if keys:
        entry["data_tests"] = CommentedSeq(_unique_test(key) for key in keys)
    entry["columns"] = CommentedSeq(
        [_partition_column(name, description) for name, description in PARTITION_COLUMNS.items()]
        + [_column(column, policy) for column in table.columns if policy.keeps(column.name)]
    )
    return entry


def _unique_test(key: list[str]) -> CommentedMap:
    columns = _flow([*key, "_source_db", "_dump_date"])
    return CommentedMap(unique_combination=_flow({"arguments": _flow({"columns": columns})}))


def _partition_column(name: str, description: str) -> CommentedMap:
    return CommentedMap(name=name, description=description, data_tests=_flow(["not_null"]))


def _column(column: Column, policy: ColumnPolicy) -> CommentedMap:
    entry = CommentedMap(name=column.name, data_type=column.mysql_type)
    if policy.hashes(column.name):
        entry["description"] = HASHED_NOTE
    if not column.nullable:
        entry["data_tests"] = _flow(["not_null"])
    return entry


def _change_column(entry: CommentedMap, table: Table, policy: ColumnPolicy, change: ColumnChange) -> None:
    """Apply one column change to a dbt table entry."""
    columns = entry.setdefault("columns", CommentedSeq())
    if change.new_type is None:
        columns[:] = [column for column in columns if column["name"] != change.column]
        tests = entry.get("data_tests") or []
        tests[:] = [test for test in tests if change.column not in _tested_columns(test)]
        return
    existing = next((column for column in columns if column["name"] == change.column), None)
    if existing is not None:
        existing["data_type"] = change.new_type
    elif policy.keeps(change.column):
        columns.append(_column(next(c for c in table.columns if c.name == change.column), policy))


def _tested_columns(test) -> list[str]:
    """The columns a unique_combination test names (none for other tests)."""
    if not isinstance(test, Mapping) or "unique_combination" not in test:
        return []
    return list(test["unique_combination"].get("arguments", {}).get("columns", []))


def _flow(value):
    """A mapping or list written on one line, as the project's YAML files write short ones."""
    flow = CommentedMap(value) if isinstance(value, Mapping) else CommentedSeq(value)
    flow.fa.set_flow_style()
    return flow
