{#-
  The column list of a contracted BigQuery table's DDL: none.

  dbt-bigquery creates a contracted table with `create or replace table t (<columns>) ... as
  (<query>)`. bqemulator 1.4.0, on which the tests run the BigQuery target, cannot run that
  form (its engine, DuckDB, has no CREATE TABLE AS with a column list, and it rewrites the form
  only for a bare SELECT body, not dbt's parenthesised one), and DESIGN.md allows no
  emulator-only path.
  The contract stays enforced without the list: before every create, dbt checks the query's
  column names and types against the contract and fails on any difference
  (get_assert_columns_equivalent), then selects the columns in the contract's order, so the
  table made from the query has exactly the contract's columns. Only constraints need the
  list: a contract that declares any is refused rather than silently weakened.
-#}
{% macro bigquery__get_table_columns_and_constraints() -%}
    {%- set constrained_columns = model['columns'].values() | selectattr('constraints') | list -%}
    {%- if model['constraints'] or constrained_columns -%}
        {{ exceptions.raise_compiler_error(
            model['name'] ~ ': constraints need a column list in the BigQuery DDL, which this'
            ~ ' project leaves out (macros/bigquery__get_table_columns_and_constraints.sql).'
        ) }}
    {%- endif -%}
{%- endmacro %}
