{#-
  Every incremental model is partitioned by _dump_date, and a run rebuilds exactly the dump
  dates from var('dump_date_start') to var('dump_date_end') (inclusive; all sources of those
  dates), or every date when they are unset.
  BigQuery: insert_overwrite with a static partitions list (no scan of the target).
  DuckDB: delete+insert on _dump_date.
-#}
{% macro dump_dates() -%}
    {#- The rebuilt dates as YYYY-MM-DD strings, or none for a full build. -#}
    {%- set first = var('dump_date_start', none) -%}
    {%- if not first -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set start = modules.datetime.date.fromisoformat(first) -%}
    {%- set end = modules.datetime.date.fromisoformat(var('dump_date_end', first)) -%}
    {%- set dates = [] -%}
    {%- for offset in range((end - start).days + 1) -%}
        {%- do dates.append((start + modules.datetime.timedelta(days=offset)).isoformat()) -%}
    {%- endfor -%}
    {%- do return(dates) -%}
{%- endmacro %}

{% macro dump_date_incremental() -%}
    {%- set dates = dump_dates() -%}
    {%- set partitions = [] -%}
    {%- for day in dates or [] -%}
        {%- do partitions.append("date '" ~ day ~ "'") -%}
    {%- endfor -%}
    {%- if target.type == 'bigquery' -%}
        {%- do return({
            'materialized': 'incremental',
            'incremental_strategy': 'insert_overwrite',
            'partition_by': {'field': '_dump_date', 'data_type': 'date', 'granularity': 'day'},
            'partitions': partitions if dates else none,
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

{#- A predicate selecting the run's dump dates in a relation with a _dump_date column. -#}
{% macro dump_date_filter(column='_dump_date') -%}
    {%- set first = var('dump_date_start', none) -%}
    {%- if first -%}
        {{ column }} between cast('{{ first }}' as date) and cast('{{ var('dump_date_end', first) }}' as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
