{#- An 8-byte float type: dbt.type_float() is `float`, 4 bytes, on DuckDB. -#}
{% macro type_float64() -%}
    {{ return(adapter.dispatch('type_float64', 'elt_pipeline')()) }}
{%- endmacro %}

{% macro default__type_float64() -%} double {%- endmacro %}

{% macro bigquery__type_float64() -%} float64 {%- endmacro %}
