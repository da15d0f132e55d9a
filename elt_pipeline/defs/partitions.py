"""Partitions: every load is one (dump_date, source_db); dbt runs one dump_date at a time."""

from __future__ import annotations

from dagster import (
    DailyPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    StaticPartitionsDefinition,
)

from elt_pipeline.lib.pipeline_config import PipelineConfig
from elt_pipeline.lib.warehouse import Partition

DATE_DIMENSION = "dump_date"
SOURCE_DIMENSION = "source_db"


def dump_date_partitions(config: PipelineConfig) -> DailyPartitionsDefinition:
    return DailyPartitionsDefinition(start_date=config.partitions_start_date.isoformat(), end_offset=1)


def dump_partitions(config: PipelineConfig, sources: list[str] | None = None) -> MultiPartitionsDefinition:
    """dump_date x source_db: one partition per landed dump, of `sources` (default: every
    group's; a group's raw tables have only its own)."""
    return MultiPartitionsDefinition(
        {
            DATE_DIMENSION: dump_date_partitions(config),
            SOURCE_DIMENSION: StaticPartitionsDefinition(config.all_source_names if sources is None else sources),
        }
    )


def dump_partition_key(source_db: str, dump_date: str) -> MultiPartitionKey:
    return MultiPartitionKey({DATE_DIMENSION: dump_date, SOURCE_DIMENSION: source_db})


def partition_of(partition_key: str | MultiPartitionKey) -> Partition:
    """The warehouse partition named by a dump partition key ("2024-01-01|shop_eu")."""
    dimensions = (
        partition_key.keys_by_dimension
        if isinstance(partition_key, MultiPartitionKey)
        else dict(zip(sorted((DATE_DIMENSION, SOURCE_DIMENSION)), partition_key.split("|")))
    )
    return Partition(source_db=dimensions[SOURCE_DIMENSION], dump_date=dimensions[DATE_DIMENSION])
