"""elt-pipeline: MySQL dumps -> Parquet -> warehouse -> dbt, as a Dagster code location."""
