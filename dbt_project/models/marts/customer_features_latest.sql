{{ config(materialized='view') }}

{#- The newest features of every customer: each source's latest dump date. -#}

with

customer_features as (

    select * from {{ ref('fct_customer_features') }}

),

latest_dump_dates as (

    select
        _source_db,
        max(_dump_date) as _dump_date

    from customer_features

    group by _source_db

),

latest_customer_features as (

    select customer_features.*

    from customer_features

    inner join latest_dump_dates
        on
            customer_features._source_db = latest_dump_dates._source_db
            and customer_features._dump_date = latest_dump_dates._dump_date

)

-- Every column of fct_customer_features: the contract in _marts__models.yml
-- lists them.
select * from latest_customer_features  -- noqa: AM04
