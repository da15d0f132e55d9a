"""The code location: every stage of the pipeline, in the order a dump flows through it.

    landing --landed_dumps--> import_dump --loads_and_dbt--> raw/<table> (load_raw_tables)
                                                        or raw/<group>/<table> (load_<group>_raw_tables)
            --loads_and_dbt--> dbt models (dbt_build) <--ml_marts_daily_refresh
            ML marts <--ml_marts_freshness_at_deadline (checks: yesterday's date is built)
    any failed run --run_failure_alerts--> webhook / e-mail (when configured)

`dagster dev -w workspace.yaml` loads `defs` (lazily: importing this module builds nothing),
configured from the environment (`settings`); tests call `build_definitions` with their own.
"""

import logging

from dagster import Definitions, definitions

from elt_pipeline.defs.dbt.assets import build_dbt_models
from elt_pipeline.defs.freshness import build_freshness_schedule, build_marts_freshness_checks
from elt_pipeline.defs.import_job import build_import_job
from elt_pipeline.defs.jobs import build_dbt_job, build_load_job
from elt_pipeline.defs.partitions import dump_date_partitions, dump_partitions
from elt_pipeline.defs.raw_tables import build_raw_tables
from elt_pipeline.defs.resources import build_resources
from elt_pipeline.defs.schedules import build_ml_refresh_schedule
from elt_pipeline.defs.sensors.alerts import build_run_failure_alert_sensor
from elt_pipeline.defs.sensors.follow_up import build_follow_up_sensor
from elt_pipeline.defs.sensors.landing import build_landed_dump_sensor
from elt_pipeline.lib.pipeline_config import load_pipeline_config
from elt_pipeline.settings import Settings, load_settings


def build_definitions(settings: Settings) -> Definitions:
    """Everything the code location serves, for one environment."""
    config = load_pipeline_config(settings.pipeline_config_path)
    partitions = dump_partitions(config)

    # 1. A dump lands: import it (dump -> per-table Parquet + manifest).
    import_job = build_import_job(config, partitions)
    landed_dumps = build_landed_dump_sensor(config, import_job)

    # 2. An import publishes: load its partition into every raw table of its source group.
    raw_tables, load_jobs, load_job_of = [], [], {}
    for group, members in config.source_groups.items():
        assets = build_raw_tables(group, members, settings, dump_partitions(config, members.source_names))
        raw_tables.append(assets)
        load_jobs.append(build_load_job(group, assets))
        load_job_of |= dict.fromkeys(members.source_names, load_jobs[-1])

    # 3. Raw partitions load: dbt builds their dump date once, all sources.
    dbt_models = build_dbt_models(settings, dump_date_partitions(config))
    dbt_job = build_dbt_job(dbt_models)
    raw_keys = {key for assets in raw_tables for key in assets.keys}
    loads_and_dbt = build_follow_up_sensor(
        import_job, load_job_of, dbt_job, raw_keys=raw_keys, dbt_keys=set(dbt_models.keys)
    )

    # 4. Every morning: refresh the ML marts; at the deadline, check yesterday's date is built.
    daily_refresh = build_ml_refresh_schedule(dbt_job)
    due = config.freshness.marts_due_utc
    marts = [key for key in dbt_models.keys if key.path[0] == "marts"]
    freshness = build_marts_freshness_checks(marts, due, config.partitions_start_date.isoformat())
    freshness_at_deadline = build_freshness_schedule(freshness, due)

    # 5. Any run fails (a blocking check failing fails its run): tell someone.
    alerts = build_run_failure_alert_sensor(settings.alerts)
    if alerts is None:
        logging.getLogger(__name__).warning(
            "no alerts: set ELT_ALERT_WEBHOOK_URL and/or ELT_ALERT_SMTP_HOST (deploy/env.example) to report failed runs"
        )

    return Definitions(
        assets=[*raw_tables, dbt_models],
        asset_checks=[freshness],
        jobs=[import_job, *load_jobs, dbt_job],
        sensors=[landed_dumps, loads_and_dbt, *([alerts] if alerts else [])],
        schedules=[daily_refresh, freshness_at_deadline],
        resources=build_resources(settings, config),
    )


@definitions
def defs() -> Definitions:
    return build_definitions(load_settings())
