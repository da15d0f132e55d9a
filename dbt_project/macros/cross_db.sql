{#- Whole days from start_date to end_date (both DATE), on DuckDB and BigQuery. -#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'elt_pipeline')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    date_diff('day', {{ start_date }}, {{ end_date }})
{%- endmacro %}

{% macro bigquery__days_between(start_date, end_date) -%}
    date_diff({{ end_date }}, {{ start_date }}, day)
{%- endmacro %}

{#- An 8-byte float type (dbt.type_float() is 4 bytes on DuckDB). -#}
{% macro type_float64() -%}
    {{ return(adapter.dispatch('type_float64', 'elt_pipeline')()) }}
{%- endmacro %}

{% macro default__type_float64() -%} double {%- endmacro %}

{% macro bigquery__type_float64() -%} float64 {%- endmacro %}
