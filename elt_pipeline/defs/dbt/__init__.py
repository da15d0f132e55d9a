"""dbt models as Dagster assets (dagster-dbt), partitioned by dump date."""
