{{ config(partitions=dump_date_partitions()) }}

with

source as (

    select * from {{ source('shop', 'products') }}
    where {{ dump_date_filter() }}

),

renamed as (

    select
        -- partition
        _dump_date,
        _source_db,

        -- ids
        _source_db || ':' || cast(id as {{ dbt.type_string() }}) as product_key,
        cast(id as {{ dbt.type_bigint() }}) as product_id,

        -- attributes
        sku,
        name as product_name,
        category,
        active = 1 as is_active,

        -- numerics
        cast(unit_price as {{ dbt.type_numeric() }}) as list_price

    from source

)

select * from renamed
