{{ config(partitions=dump_date_partitions()) }}

with

source as (

    select * from {{ source('shop', 'order_items') }}
    where {{ dump_date_filter() }}

),

renamed as (

    select
        -- partition
        _dump_date,
        _source_db,

        -- ids
        _source_db
        || ':'
        || cast(order_id as {{ dbt.type_string() }}) as order_key,
        cast(line_no as {{ dbt.type_int() }}) as line_no,
        _source_db
        || ':'
        || cast(product_id as {{ dbt.type_string() }}) as product_key,

        -- numerics
        cast(quantity as {{ dbt.type_int() }}) as quantity,
        cast(unit_price as {{ dbt.type_numeric() }}) as unit_price,
        cast(quantity * unit_price as {{ dbt.type_numeric() }}) as line_revenue

    from source

)

select * from renamed
