"""The dbt CLI resource: dagster-dbt's `DbtCliResource`, minus a `dbt --version` per run."""

from __future__ import annotations

from functools import cached_property

from dagster_dbt import DbtCliResource
from dbt.version import __version__ as DBT_CORE_VERSION
from packaging import version


class DbtCoreCliResource(DbtCliResource):
    """`DbtCliResource` whose CLI is the dbt-core installed beside this interpreter
    (`project.dbt_executable`).

    dagster-dbt runs `dbt --version` once per run process to tell dbt-core from the Fusion
    engine: more than 3 s before every dbt build, most of it dbt asking PyPI for its latest
    releases (dbt-labs/dbt-core#6085: three requests, up to 1 s each where there is no egress).
    The CLI here is this environment's dbt-core, so its version is the installed package's."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(DBT_CORE_VERSION)
