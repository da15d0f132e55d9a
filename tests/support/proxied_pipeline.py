"""A gcp pipeline on the emulators whose clients go through `FaultyProxy`s, and what the
fault tests do with it: import and load (not dbt), and read the raw tables back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tests.support.faulty_proxy import FaultyProxy
from tests.support.orchestration import DBT_JOB, FOLLOW_UP_SENSOR, LANDING_SENSOR
from tests.support.pipelines import RAW_TABLES, pipeline_on


@dataclass
class ProxiedEmulators:
    """The emulators as `pipeline_on` uses them, with clients sent through the proxies."""

    emulators: object
    gcs_proxy: FaultyProxy
    bq_proxy: FaultyProxy

    @property
    def project(self) -> str:
        return self.emulators.project

    @property
    def bq(self):
        return self.emulators.bq  # buckets and datasets are made directly, not through the proxy

    @property
    def environ(self) -> dict[str, str]:
        return {
            **self.emulators.environ,
            "STORAGE_EMULATOR_HOST": self.gcs_proxy.url,
            "ELT_BQ_API_ENDPOINT": self.bq_proxy.url,
        }


@contextmanager
def proxied_pipeline(root, emulators, sources: list[str]) -> Iterator[tuple]:
    """A gcp pipeline of `sources` whose storage and BigQuery clients go through fresh proxies."""
    with (
        FaultyProxy(emulators.gcs.endpoint) as gcs_proxy,
        FaultyProxy(emulators.bq.endpoint) as bq_proxy,
        pipeline_on("gcp", root, sources, ProxiedEmulators(emulators, gcs_proxy, bq_proxy)) as pipeline,
    ):
        yield pipeline, gcs_proxy, bq_proxy


def import_and_load(pipeline) -> list:
    """What the daemon does up to the raw tables (dbt on the emulator is not this module's
    subject): the landing sensor's imports, then the follow-up sensor's loads; every result."""
    results = [pipeline.daemon.execute(LANDING_SENSOR, request) for request in pipeline.daemon.tick_landing_sensor()]
    while requests := [r for r in pipeline.daemon.tick(FOLLOW_UP_SENSOR) if r.job_name != DBT_JOB]:
        results += [pipeline.daemon.execute(FOLLOW_UP_SENSOR, request) for request in requests]
    return results


def raw_contents(pipeline) -> dict[str, list]:
    """Every raw table's rows, sorted: equal dicts mean identical tables (duplicates included)."""
    return {
        table: sorted(pipeline.query(f"SELECT * FROM {pipeline.raw_dataset}.{table}"), key=repr) for table in RAW_TABLES
    }
