"""The pipeline config file: which sources, which tables, which columns.

Validated with pydantic at load time; an invalid file fails with the offending key named.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, time
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# What Dagster accepts as an asset owner and as a definition tag (checked here to name the key).
OWNER = re.compile(r"^(team:\S+|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})$")
TAG_KEY = re.compile(r"^([A-Za-z0-9_.-]{1,63}/)?[A-Za-z0-9_.-]{1,63}$")
TAG_VALUE = re.compile(r"^[A-Za-z0-9_.-]{0,63}$")


class PipelineConfigError(ValueError):
    """The pipeline config file is invalid; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


NewColumns = Literal["exclude", "hash", "include"]


class ColumnPolicy(_Strict):
    """Which columns of a table are replicated, and which are hashed (salted SHA-256).

    `include` lists the columns replicated (a `hash` column listed there is still hashed);
    `exclude` and `hash` columns count as listed too. A column the dump holds but the policy does
    not list (a new column) follows `new_columns`: `exclude` (the default for a table with a
    policy) leaves it out, `hash` hashes it, `include` replicates it in clear. Without an
    `include` list every column but the excluded ones is replicated: only `new_columns: include`
    (the default for a table without a policy) allows that.
    """

    include: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    hash: tuple[str, ...] = ()
    new_columns: NewColumns | None = None  # None: the default above

    @model_validator(mode="after")
    def _consistent(self) -> ColumnPolicy:
        clash = set(self.exclude) & set(self.hash)
        if clash:
            raise ValueError(f"columns both excluded and hashed: {sorted(clash)}")
        if self.include is None and self.new_columns_policy != "include":
            raise ValueError(
                f"new_columns is {self.new_columns_policy!r} (the default for a table with a column policy), so "
                "`include` must list the columns replicated (then any other column the dump holds is a new one); "
                "or set `new_columns: include` to replicate every column not excluded, new ones in clear"
            )
        return self

    @property
    def new_columns_policy(self) -> NewColumns:
        """What happens to a column the policy does not list (see the class docstring)."""
        if self.new_columns is not None:
            return self.new_columns
        return "exclude" if self.include is not None or self.exclude or self.hash else "include"

    def _listed(self, column: str) -> bool:
        return self.include is None or column in self.include or column in self.exclude or column in self.hash

    def keeps(self, column: str) -> bool:
        """True if `column` is replicated (possibly hashed)."""
        if column in self.exclude:
            return False
        return self._listed(column) or self.new_columns_policy != "exclude"

    def hashes(self, column: str) -> bool:
        """True if `column` is replicated as a salted hash of its value."""
        return column in self.hash or (not self._listed(column) and self.new_columns_policy == "hash")

    def unlisted(self, columns: Iterable[str]) -> list[str]:
        """The `columns` this policy does not list (none without an `include` list)."""
        return [column for column in columns if not self._listed(column)]

    def unknown_columns(self, columns: Iterable[str]) -> list[str]:
        """The excluded or hashed columns not among `columns` (a typo would leak a column). An
        `include` column the dump lacks is not one: the raw table's schema check reports it."""
        return sorted((set(self.exclude) | set(self.hash)) - set(columns))


class _Labelled(_Strict):
    """Who owns a source or table, and tags to find it by, shown on its raw assets in the UI."""

    owners: tuple[str, ...] = ()  # e-mail addresses or `team:<name>`
    tags: dict[str, str] = Field(default_factory=dict)  # e.g. {domain: sales, pii: hashed}

    @field_validator("owners")
    @classmethod
    def _owners(cls, owners: tuple[str, ...]) -> tuple[str, ...]:
        bad = [owner for owner in owners if not OWNER.match(owner)]
        if bad:
            raise ValueError(f"owners {bad} must be e-mail addresses or 'team:<name>'")
        return owners

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: dict[str, str]) -> dict[str, str]:
        bad = {key: value for key, value in tags.items() if not (TAG_KEY.match(key) and TAG_VALUE.match(value))}
        if bad:
            raise ValueError(
                f"tags {bad}: keys and values take letters, digits, '_', '-', '.' (at most 63), "
                "a key may have one 'namespace/' prefix"
            )
        return tags


class TableConfig(_Labelled):
    columns: ColumnPolicy = ColumnPolicy()
    # Column -> MySQL type, as `elt-pipeline add-source` last read them from a dump: what the next
    # run compares a newer dump with. Documentation only: the import does not check them.
    column_types: dict[str, str] = {}
    # A dump may lack this table: the import succeeds and the load empties the table's partition
    # (no rows for that dump date and source). Otherwise a dump without it fails its import.
    optional: bool = False


class SourceConfig(_Labelled):
    name: str

    @property
    def database_name(self) -> str:
        """The database its dumps hold: `database`, else the source's own name."""
        return self.database or self.name

    # The source's database: the one converted from a dump of several (--databases, --all-databases),
    # and the one its dumps must declare when they name any. None: a dump must hold one database.
    database: str | None = Field(default=None, min_length=1)
    # Convert dumps that carry no completeness signal at all (no trailer, no closing statements:
    # e.g. mysqldump --compact). Risk: such a dump cut at a statement boundary converts as if whole,
    # silently missing the rest. Dumps whose generator writes a signal are refused without it anyway.
    accept_unconfirmed_end: bool = False

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not IDENTIFIER.match(value):
            raise ValueError(f"source name {value!r} must be a plain identifier")
        return value


class FreshnessConfig(_Strict):
    # The ML marts of dump date D are due by this time of day (UTC) on D+1.
    marts_due_utc: time = time(7, 0)


DEFAULT_GROUP = "default"  # the top-level `sources` and `tables`


class SourceGroup(_Strict):
    """Sources that share one table set: each of their dumps holds every table not `optional`,
    and no other group's tables are expected in them."""

    sources: tuple[SourceConfig, ...] = Field(min_length=1)
    tables: dict[str, TableConfig] = Field(min_length=1)

    @field_validator("tables")
    @classmethod
    def _table_names(cls, tables: dict[str, TableConfig]) -> dict[str, TableConfig]:
        for name in tables:
            if not IDENTIFIER.match(name):
                raise ValueError(f"table name {name!r} must be a plain identifier")
        return tables

    @model_validator(mode="after")
    def _source_tags_agree(self) -> SourceGroup:
        """A raw table holds every source's rows of its group, so they may not tag it two ways."""
        values: dict[str, set[str]] = {}
        for source in self.sources:
            for key, value in source.tags.items():
                values.setdefault(key, set()).add(value)
        clashes = {key: sorted(found) for key, found in values.items() if len(found) > 1}
        if clashes:
            raise ValueError(f"sources give tags different values {clashes}: set them per table instead")
        return self

    @property
    def source_names(self) -> list[str]:
        return [source.name for source in self.sources]

    def required_tables(self) -> list[str]:
        """The tables every dump of the group must hold (not marked `optional`)."""
        return [name for name, table in self.tables.items() if not table.optional]

    def table_owners(self, table: str) -> list[str]:
        """The table's owners, then every source's (its raw table holds every source's rows)."""
        owners = [*self.tables[table].owners, *(owner for source in self.sources for owner in source.owners)]
        return list(dict.fromkeys(owners))

    def table_tags(self, table: str) -> dict[str, str]:
        """The sources' tags, overridden by the table's own."""
        tags = {key: value for source in self.sources for key, value in source.tags.items()}
        return tags | self.tables[table].tags

    def column_policies(self) -> dict[str, ColumnPolicy]:
        return {name: table.columns for name, table in self.tables.items()}


class PipelineConfig(SourceGroup):
    """The top-level `sources` and `tables` are the default group (raw tables `raw/<table>`);
    `groups` names more, each a different database (raw tables `raw/<group>/<table>`)."""

    partitions_start_date: date
    freshness: FreshnessConfig = FreshnessConfig()
    groups: dict[str, SourceGroup] = {}
    max_dump_bytes: int = Field(default=50 * 1024**3, gt=0)

    @field_validator("groups")
    @classmethod
    def _group_names(cls, groups: dict[str, SourceGroup]) -> dict[str, SourceGroup]:
        for name in groups:
            if not IDENTIFIER.match(name) or "__" in name:
                raise ValueError(f"group name {name!r} must be a plain identifier without '__'")
            if name == DEFAULT_GROUP:
                raise ValueError(f"group name {name!r} is the top-level sources and tables; choose another")
        return groups

    @model_validator(mode="after")
    def _unique_sources(self) -> PipelineConfig:
        """A source's dumps land in one folder and feed one group."""
        seen: dict[str, str] = {}
        for group, members in self.source_groups.items():
            for name in members.source_names:
                if name in seen:
                    where = "twice in group " + group if seen[name] == group else f"in groups {seen[name]} and {group}"
                    raise ValueError(f"source {name!r} is listed {where}: a source belongs to one group")
                seen[name] = group
        return self

    @model_validator(mode="after")
    def _distinct_warehouse_tables(self) -> PipelineConfig:
        """A group's tables land as `<group>__<table>` beside the default group's `<table>`."""
        clashes = sorted(table for table in self.tables for group in self.groups if table.startswith(f"{group}__"))
        if clashes:
            raise ValueError(f"tables {clashes} would share a warehouse table with a group's (<group>__<table>)")
        return self

    @property
    def source_groups(self) -> dict[str, SourceGroup]:
        """Every group by name, the default one first."""
        default = SourceGroup.model_construct(sources=self.sources, tables=self.tables)
        return {DEFAULT_GROUP: default, **self.groups}

    @property
    def all_source_names(self) -> list[str]:
        """The sources of every group (the landing folders watched, the import's partitions)."""
        return [name for group in self.source_groups.values() for name in group.source_names]

    def group_name_of(self, source: str) -> str:
        return next(name for name, group in self.source_groups.items() if source in group.source_names)

    def group_of(self, source: str) -> SourceGroup:
        """The group `source` belongs to: the tables its dumps hold, their policies and labels."""
        return self.source_groups[self.group_name_of(source)]

    def source(self, name: str) -> SourceConfig:
        return next(source for group in self.source_groups.values() for source in group.sources if source.name == name)


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key written twice in one mapping (two groups or tables of
    one name would otherwise silently keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_pipeline_config(path: Path) -> PipelineConfig:
    """Read and validate the YAML config at `path`."""
    try:
        with Path(path).open() as stream:
            raw = yaml.load(stream, Loader=_UniqueKeyLoader)  # a SafeLoader
    except (OSError, yaml.YAMLError) as error:
        raise PipelineConfigError(f"{path}: cannot read pipeline config: {error}") from error
    try:
        return PipelineConfig.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or '<root>'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise PipelineConfigError(f"{path}: invalid pipeline config: {problems}") from error
