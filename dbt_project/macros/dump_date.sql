{#-
  A run rebuilds the dump dates from var('dump_date_start') to var('dump_date_end')
  (inclusive; every source of those dates), or every date when they are unset. How each
  adapter replaces them is configured in dbt_project.yml: BigQuery insert_overwrite of the
  static partitions list below, DuckDB the replace_dump_dates strategy.
-#}

{#- The rebuilt dates as YYYY-MM-DD strings, or none for a full build. -#}
{% macro dump_dates() -%}
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

{#- The `partitions` config of an incremental model: the run's dates as BigQuery date
    literals, so insert_overwrite replaces exactly them without scanning the target (none for
    a full build). dbt_project.yml renders before var() has the run's dates, hence a macro
    called from each incremental model's config(). Unused by DuckDB. -#}
{% macro dump_date_partitions() -%}
    {%- set partitions = [] -%}
    {%- for day in dump_dates() or [] -%}
        {%- do partitions.append("date '" ~ day ~ "'") -%}
    {%- endfor -%}
    {%- do return(partitions or none) -%}
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
