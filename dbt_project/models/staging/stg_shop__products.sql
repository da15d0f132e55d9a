{{ config(**dump_date_incremental()) }}

select
    _dump_date,
    _source_db,
    _source_db || ':' || cast(id as {{ dbt.type_string() }}) as product_key,
    cast(id as {{ dbt.type_bigint() }}) as product_id,
    sku,
    name as product_name,
    category,
    cast(unit_price as {{ dbt.type_numeric() }}) as list_price,
    active = 1 as is_active
from {{ source('shop', 'products') }}
where {{ dump_date_filter() }}
