{{ config(**dump_date_incremental()) }}

select
    _dump_date,
    _source_db,
    _source_db || ':' || cast(id as {{ dbt.type_string() }}) as order_key,
    cast(id as {{ dbt.type_bigint() }}) as order_id,
    _source_db || ':' || cast(customer_id as {{ dbt.type_string() }}) as customer_key,
    status,
    cast(ordered_at as {{ dbt.type_timestamp() }}) as ordered_at,
    cast(ordered_at as date) as ordered_date,
    cast(coalesce(shipping_cost, 0) as {{ dbt.type_numeric() }}) as shipping_cost
from {{ source('shop', 'orders') }}
where {{ dump_date_filter() }}
