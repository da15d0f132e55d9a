"""`elt-pipeline add-source`: onboard a database from one of its dumps.

Reads the dump's tables (columns, MySQL types, unique keys), compares them with what the
pipeline config records for the source's group (`tables.<name>.column_types`), and writes only
the difference into that group of the config and into its dbt sources file: new tables and
columns, with a suggested policy (`hash` or `exclude`, marked by a comment) for columns whose
names look personal, and, in a table with a policy, listed in `include` (otherwise a new column,
left out); removed ones dropped (also from the column policies, which would otherwise name a
missing column); changed types updated. Comments and everything else in both files are kept
(ruamel.yaml round trip).

Every table of a source group is expected in each of its sources' dumps. A new source whose dump
holds the default group's tables (another shard of the same application) joins that group; a
different database gets a group of its own in the same config (`groups.<name>`, named after the
source or `--group`), with its own raw tables and dbt source, and is never expected to hold
another group's tables. `--group` joins an existing group, whose tables the dump must hold.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from elt_pipeline.converter.dump_schema import read_dump_schema
from elt_pipeline.converter.schema import Table
from elt_pipeline.lib.dbt_sources import dbt_sources_path, update_dbt_sources
from elt_pipeline.lib.pipeline_config import DEFAULT_GROUP, PipelineConfig, load_pipeline_config
from elt_pipeline.lib.schema_diff import SchemaDiff, diff_schema

SUGGESTION_NOTE = "suggested by add-source (the names look personal): review"
# A name part -> the policy suggested for a column named with it.
PERSONAL_NAME_PARTS = {
    **dict.fromkeys(("email", "mail", "phone", "mobile", "fax", "ip"), "hash"),
    **dict.fromkeys(("name", "firstname", "lastname", "surname", "username", "login"), "hash"),
    **dict.fromkeys(("address", "street", "birth", "birthday", "birthdate", "dob"), "exclude"),
    **dict.fromkeys(("password", "passwd", "secret", "token"), "exclude"),
}
_REFERENCE_PARTS = {"id", "key"}  # address_id refers to an address: not personal itself


class OnboardingError(ValueError):
    """The source cannot be onboarded as asked; the message says why and what to do."""


def suggested_policy(column: str) -> str | None:
    """`hash` or `exclude` for a column whose name looks personal (email, phone, name, address,
    ip, birth, password), else None. References (`address_id`) are not personal."""
    parts = [part.lower() for part in re.findall(r"[A-Za-z][a-z]*|[0-9]+", column)]
    if not parts or parts[-1] in _REFERENCE_PARTS:
        return None
    return next((PERSONAL_NAME_PARTS[part] for part in parts if part in PERSONAL_NAME_PARTS), None)


@dataclass(frozen=True)
class Onboarding:
    """What `add_source` found and wrote."""

    diff: SchemaDiff
    suggestions: dict[str, str]  # "table.column" -> hash / exclude, for the columns it added
    config_path: Path
    dbt_sources: Path
    group: str  # the source group it belongs to (`default`: the top-level sources and tables)
    written: bool  # False when the config already matched the dump


def add_source(
    name: str,
    dump: str,
    config_path: Path,
    dbt_project_dir: Path,
    *,
    dbt_source: str | None = None,
    partitions_start: date | None = None,
    group: str | None = None,
) -> Onboarding:
    """Onboard source `name` from `dump` (a path or gs:// URI) into the pipeline config at
    `config_path` (created if absent: the source is its default group) and
    `<dbt_project_dir>/models/staging/_<dbt_source>__sources.yml` (`dbt_source` defaults to
    `name` in the default group, to the group's name in another). The group is the source's own
    if configured, else `group`, else the default one if the dump holds its tables, else a new
    one named `name`. Each file is written beside itself, then renamed over it; nothing is
    written when the dump or the updated config is invalid. A table marked `optional` that the
    dump lacks stays configured."""
    document = _read_yaml(config_path)
    current = load_pipeline_config(config_path) if document is not None else None
    source = current.source(name) if current is not None and name in current.all_source_names else None
    with _local_dump(dump) as path:
        options = (
            {"database": source.database, "accept_unconfirmed_end": source.accept_unconfirmed_end} if source else {}
        )
        tables = read_dump_schema(path, **options)
    if not tables:
        raise OnboardingError(f"{dump}: the dump creates no table")
    group = _group_of(current, name, group, tables, dump)
    members = current.source_groups.get(group) if current else None
    known = {table: config.column_types for table, config in members.tables.items()} if members else {}
    dumped = {table.name: {column.name: column.mysql_type for column in table.columns} for table in tables.values()}
    diff = diff_schema(known, dumped)
    diff.removed_tables = [table for table in diff.removed_tables if not members.tables[table].optional]
    dbt_source = dbt_source or (name if group == DEFAULT_GROUP else group)
    sources_file = dbt_sources_path(dbt_project_dir, dbt_source)
    if not diff and source is not None and sources_file.exists():
        return Onboarding(diff, {}, config_path, sources_file, group, written=False)
    if document is None:
        document = CommentedMap(partitions_start_date=(partitions_start or date.today()).isoformat())
        document["sources"], document["tables"] = CommentedSeq(), CommentedMap()
    entry = _group_entry(document, group)
    if source is None:
        entry["sources"].append(CommentedMap(name=name))
    suggestions = _apply(entry["tables"], diff)
    with _staged(config_path, document) as staged:
        config = _validated(staged, config_path)
        sources = update_dbt_sources(
            _read_yaml(sources_file), dbt_source, tables, group, config.source_groups[group], diff
        )
        with _staged(sources_file, sources) as dbt:
            os.replace(dbt, sources_file)
        os.replace(staged, config_path)
    return Onboarding(diff, suggestions, config_path, sources_file, group, written=True)


def _group_of(
    config: PipelineConfig | None, name: str, requested: str | None, tables: Mapping[str, Table], dump: str
) -> str:
    """The group source `name` belongs to: its own if configured; else `requested`; else the
    default group if the dump holds its tables (a shard), else a new group named `name`. A new
    source joining an existing group must dump the group's tables."""
    if config is None:
        if requested not in (None, DEFAULT_GROUP):
            raise OnboardingError(
                f"a new pipeline config's first database is its default group: run without --group {requested}"
            )
        return DEFAULT_GROUP
    if name in config.all_source_names:
        group = config.group_name_of(name)
        if requested not in (None, group):
            raise OnboardingError(f"source {name!r} is in group {group!r}, not {requested!r}")
        return group
    if requested is None:
        requested = DEFAULT_GROUP if not _missing(config, DEFAULT_GROUP, tables) else name
    if requested in config.source_groups:
        missing = _missing(config, requested, tables)
        if missing:
            raise OnboardingError(
                f"{dump}: lacks tables {missing} that every source of group {requested!r} "
                f"({', '.join(config.source_groups[requested].source_names)}) must dump, so {name!r} cannot "
                "join it; leave out --group to give the database a group of its own"
            )
    return requested


def _missing(config: PipelineConfig, group: str, tables: Mapping[str, Table]) -> list[str]:
    return sorted(set(config.source_groups[group].required_tables()) - set(tables))


def _group_entry(document: CommentedMap, group: str) -> CommentedMap:
    """The mapping that holds `group`'s sources and tables (the document itself for the default
    group); a new group is added under `groups`."""
    if group == DEFAULT_GROUP:
        return document
    groups = document.setdefault("groups", CommentedMap())
    if group not in groups:
        groups[group] = CommentedMap(sources=CommentedSeq(), tables=CommentedMap())
    return groups[group]


def _apply(tables: CommentedMap, diff: SchemaDiff) -> dict[str, str]:
    """Write `diff` into the config's `tables` mapping; the policies suggested for new columns."""
    suggestions: dict[str, str] = {}
    for name in diff.removed_tables:
        del tables[name]
    for name, columns in diff.added_tables.items():
        tables[name] = entry = CommentedMap()
        for column in columns:
            suggestions |= _suggest(entry, name, column)
        entry["column_types"] = CommentedMap(columns)
        for column in columns:
            _include(entry, column)
    for name, columns in diff.recorded.items():
        if tables[name] is None:  # `products: {}` reads as an empty mapping, `products:` as None
            tables[name] = CommentedMap()
        tables[name]["column_types"] = CommentedMap(columns)
    for change in diff.columns:
        entry = tables[change.table]
        types = entry["column_types"]
        if change.new_type is None:
            types.pop(change.column, None)
            _forget(entry.get("columns"), change.column)
            continue
        types[change.column] = change.new_type
        if change.old_type is None:
            suggestions |= _suggest(entry, change.table, change.column)
            _include(entry, change.column)
    return suggestions


def _suggest(entry: CommentedMap, table: str, column: str) -> dict[str, str]:
    """Add a new `column` to the hash or exclude list its name suggests (unless a list has it)."""
    policy = suggested_policy(column)
    policies = entry.get("columns") or CommentedMap()
    decided = [listed for kind, listed in policies.items() if kind in ("exclude", "hash") and column in listed]
    if policy is None or decided:
        return {}
    entry["columns"] = policies
    if policy not in policies:
        policies[policy] = CommentedSeq()
        policies[policy].fa.set_flow_style()
        policies.yaml_add_eol_comment(SUGGESTION_NOTE, policy)
    if column not in policies[policy]:
        policies[policy].append(column)
    return {f"{table}.{column}": policy}


def _include(entry: CommentedMap, column: str) -> None:
    """List a column add-source placed in the table's `include` list, if the table has a column
    policy: with one, a column no list names is a new one and stays out (`new_columns`), so the
    columns replicated are listed, hashed ones too (un-hashing one leaves it replicated)."""
    policies = entry.get("columns")
    if not policies or policies.get("new_columns") == "include" or column in policies.get("exclude", ()):
        return
    if "include" not in policies:
        policies.insert(0, "include", CommentedSeq())
        policies["include"].fa.set_flow_style()
        policies["include"].extend(name for name in entry["column_types"] if name not in policies.get("exclude", ()))
    if column not in policies["include"]:
        policies["include"].append(column)


def _forget(policies: CommentedMap | None, column: str) -> None:
    """Drop a removed column from the include / exclude / hash lists."""
    for listed in (policies or {}).values():
        if column in listed:
            listed.remove(column)


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 120
    return yaml


def _read_yaml(path: Path):
    """The round-trip document at `path`, or None if there is no file."""
    return _yaml().load(path.read_text()) if path.exists() else None


@contextmanager
def _staged(path: Path, document) -> Iterator[Path]:
    """`document` written to a temporary file beside `path` (removed unless the caller moved it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as out:
            _yaml().dump(document, out)
        yield Path(temporary)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _validated(staged: Path, destination: Path) -> PipelineConfig:
    """The staged config, validated as the pipeline will read it."""
    try:
        return load_pipeline_config(staged)
    except ValueError as error:
        raise OnboardingError(f"{destination}: the updated config would be invalid: {error}") from error


@contextmanager
def _local_dump(dump: str) -> Iterator[Path]:
    """A local path to read `dump` from: itself, or a temporary download of a gs:// object."""
    if not dump.startswith("gs://"):
        if not Path(dump).is_file():
            raise OnboardingError(f"{dump}: no such dump file")
        yield Path(dump)
        return
    from elt_pipeline.lib.storage.gcs import GcsLanding

    folder, _, name = dump.rpartition("/")
    landing = GcsLanding(folder)
    landed = next((found for found in landing.list_from(name, name) if found.key == name), None)
    if landed is None:
        raise OnboardingError(f"{dump}: no such object")
    with tempfile.TemporaryDirectory(prefix="add-source-") as workdir:
        path = Path(workdir) / name
        landing.download(landed, path)
        yield path
