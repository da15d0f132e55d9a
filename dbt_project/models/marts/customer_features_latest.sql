{{ config(materialized='view') }}

{#- The newest features of every customer: each source's latest dump date. -#}

with latest as (
    select _source_db, max(_dump_date) as _dump_date
    from {{ ref('fct_customer_features') }}
    group by _source_db
)

select features.*
from {{ ref('fct_customer_features') }} as features
inner join latest
    on latest._source_db = features._source_db and latest._dump_date = features._dump_date
