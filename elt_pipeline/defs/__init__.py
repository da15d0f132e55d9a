"""Dagster definitions, one module per concern; `build_definitions` assembles them."""

from __future__ import annotations

from dagster import Definitions

from elt_pipeline.defs.dbt.assets import build_dbt_models
from elt_pipeline.defs.imports import build_import_job
from elt_pipeline.defs.jobs import build_load_job, build_marts_job
from elt_pipeline.defs.partitions import dump_date_partitions, dump_partitions
from elt_pipeline.defs.raw_tables import build_raw_tables
from elt_pipeline.defs.resources import build_resources
from elt_pipeline.defs.schedules import build_ml_refresh_schedule
from elt_pipeline.defs.sensors import (
    build_landed_dump_sensor,
    build_loaded_partition_sensor,
    build_staged_dump_sensor,
)
from elt_pipeline.lib.pipeline_config import load_pipeline_config
from elt_pipeline.settings import Settings


def build_definitions(settings: Settings) -> Definitions:
    """Everything the code location serves, for one environment."""
    config = load_pipeline_config(settings.pipeline_config_path)
    partitions = dump_partitions(config)
    raw_tables = build_raw_tables(config, partitions)
    dbt_models = build_dbt_models(settings, dump_date_partitions(config))
    import_job = build_import_job(config, partitions)
    load_job = build_load_job(raw_tables)
    marts_job = build_marts_job(dbt_models)
    return Definitions(
        assets=[raw_tables, dbt_models],
        jobs=[import_job, load_job, marts_job],
        sensors=[
            build_landed_dump_sensor(config, import_job),
            build_staged_dump_sensor(import_job, load_job),
            build_loaded_partition_sensor(set(raw_tables.keys), set(dbt_models.keys), marts_job),
        ],
        schedules=[build_ml_refresh_schedule(marts_job)],
        resources=build_resources(settings, config.max_dump_bytes),
    )
