"""The alert sensor: every failed run of this code location (an import, a load, a dbt build),
including one stopped by a failed blocking asset check, is reported to the configured webhook
and/or e-mail with its job, partition, failed steps, errors and a link to the run."""

from __future__ import annotations

from collections.abc import Mapping

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DefaultSensorStatus,
    RunFailureSensorContext,
    SensorDefinition,
    run_failure_sensor,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
    WILL_RETRY_TAG,
)

from elt_pipeline.lib.alerts import Alert, send_alert
from elt_pipeline.settings import AlertSettings

ALERT_SENSOR = "run_failure_alerts"
MAX_ERROR_CHARS = 1500  # per step: chat and mail stay readable; the link has the rest


def build_run_failure_alert_sensor(alerts: AlertSettings) -> SensorDefinition | None:
    """The sensor reporting failed runs to `alerts`' destinations; None when none is configured."""
    if not alerts.enabled:
        return None

    @run_failure_sensor(
        name=ALERT_SENSOR,
        minimum_interval_seconds=30,
        default_status=DefaultSensorStatus.RUNNING,
        description="Reports every failed run (failed steps, failed blocking checks) to the webhook and/or e-mail.",
    )
    def run_failure_alerts(context: RunFailureSensorContext) -> None:
        send_alert(describe_failure(context, alerts.ui_base_url), alerts)

    return run_failure_alerts


def describe_failure(context: RunFailureSensorContext, ui_base_url: str) -> Alert:
    """The alert for one failed run: job, partition, each failed step with its error, each failed
    blocking check, and the run's page in the UI."""
    run = context.dagster_run
    partition = _partitions(run.tags)
    subject = f"Dagster run failed: {run.job_name}" + (f" [{partition}]" if partition else "")
    if run.tags.get(WILL_RETRY_TAG) == "true":
        subject += " (Dagster retries it)"
    lines = [f"Job: {run.job_name}", f"Partition: {partition or '-'}", f"Run: {ui_base_url}/runs/{run.run_id}"]
    step_failures = context.get_step_failure_events()
    for event in step_failures:
        lines += ["", f"Step {event.step_key} failed:", _step_error(event)]
    if not step_failures:
        lines += ["", f"Run failure: {context.failure_event.message}"]
    failed_checks = _failed_blocking_checks(context.instance, run.run_id)
    if failed_checks:
        lines += ["", "Failed blocking checks:", *failed_checks]
    return Alert(subject=subject, body="\n".join(lines))


def _step_error(event) -> str:
    data = event.step_failure_data
    if data.user_failure_data and data.user_failure_data.description:
        text = data.user_failure_data.description
    else:
        error = data.error
        while error and error.cause:  # Dagster wraps the op's own exception: report that one
            error = error.cause
        text = error.message.strip() if error else "(no error recorded)"
    return text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS] + " ..."


def _failed_blocking_checks(instance: DagsterInstance, run_id: str) -> list[str]:
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION).records
    evaluations = [record.event_log_entry.dagster_event.event_specific_data for record in records]
    return [
        f"- {evaluation.asset_key.to_user_string()} {evaluation.check_name}: {evaluation.description or 'failed'}"
        for evaluation in evaluations
        if not evaluation.passed and evaluation.blocking
    ]


def _partitions(tags: Mapping[str, str]) -> str | None:
    """The run's partition, or its range of partitions ("2024-01-01...2024-01-05")."""
    if PARTITION_NAME_TAG in tags:
        return tags[PARTITION_NAME_TAG]
    if ASSET_PARTITION_RANGE_START_TAG in tags:
        return f"{tags[ASSET_PARTITION_RANGE_START_TAG]}...{tags[ASSET_PARTITION_RANGE_END_TAG]}"
    return None
