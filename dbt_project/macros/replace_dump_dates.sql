{#-
  Incremental strategy `replace_dump_dates` (DuckDB): delete every row of the run's dump
  dates, then insert the new batch, in the materialization's one transaction. Unlike
  delete+insert, which deletes only the keys present in the new batch, it also empties a
  date whose raw rows are gone, so every rebuilt date holds exactly what the raw tables hold
  for it now (what BigQuery's insert_overwrite of a static partitions list does).
-#}
{% macro get_incremental_replace_dump_dates_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where {{ dump_date_filter() }};

    insert into {{ target }} ({{ columns }})
    select {{ columns }}
    from {{ arg_dict['temp_relation'] }}
{%- endmacro %}
