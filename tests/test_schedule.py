"""The ML refresh schedule builds the dump date its description promises, evaluated at a fixed
time the way the daemon evaluates it (`evaluate_tick`)."""

from datetime import UTC, datetime

from dagster import build_schedule_context

from elt_pipeline.definitions import build_definitions
from elt_pipeline.settings import load_settings


def test_the_06_00_utc_tick_rebuilds_yesterdays_dump_date_in_every_dbt_model(tmp_path):
    defs = build_definitions(load_settings({"ELT_DATA_DIR": str(tmp_path)}))
    schedule = defs.resolve_schedule_def("ml_marts_daily_refresh")
    assert schedule.cron_schedule == "0 6 * * *" and schedule.execution_timezone == "UTC"
    assert "yesterday's dump date" in schedule.description

    context = build_schedule_context(
        scheduled_execution_time=datetime(2024, 3, 1, 6, tzinfo=UTC), repository_def=defs.get_repository_def()
    )
    tick = schedule.evaluate_tick(context)

    (request,) = tick.run_requests
    assert request.partition_key == "2024-02-29" and request.run_key == "refresh-2024-02-29"
    dbt_models = {key for key in defs.resolve_asset_graph().get_all_asset_keys() if key.path[0] != "raw"}
    assert set(defs.resolve_job_def(schedule.job_name).asset_layer.executable_asset_keys) == dbt_models
