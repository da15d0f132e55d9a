{#-
  Every incremental model is partitioned by _dump_date and a run rebuilds exactly the dump
  date in var('dump_date') (all sources of that date), or every date when the var is unset.
  BigQuery: insert_overwrite with a static partitions list (no scan of the target).
  DuckDB: delete+insert on _dump_date.
-#}
{% macro dump_date_incremental() -%}
    {%- set dump_date = var('dump_date', none) -%}
    {%- if target.type == 'bigquery' -%}
        {%- do return({
            'materialized': 'incremental',
            'incremental_strategy': 'insert_overwrite',
            'partition_by': {'field': '_dump_date', 'data_type': 'date', 'granularity': 'day'},
            'partitions': ["date '" ~ dump_date ~ "'"] if dump_date else none,
            'cluster_by': ['_source_db'],
            'on_schema_change': 'append_new_columns',
        }) -%}
    {%- else -%}
        {%- do return({
            'materialized': 'incremental',
            'incremental_strategy': 'delete+insert',
            'unique_key': '_dump_date',
            'on_schema_change': 'append_new_columns',
        }) -%}
    {%- endif -%}
{%- endmacro %}

{#- A predicate selecting the run's dump date in a relation with a _dump_date column. -#}
{% macro dump_date_filter(column='_dump_date') -%}
    {%- set dump_date = var('dump_date', none) -%}
    {%- if dump_date -%}
        {{ column }} = cast('{{ dump_date }}' as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
