{{ config(partitions=dump_date_partitions()) }}

with

source as (

    select * from {{ source('shop', 'orders') }}
    where {{ dump_date_filter() }}

),

renamed as (

    select
        -- partition
        _dump_date,
        _source_db,

        -- ids
        _source_db || ':' || cast(id as {{ dbt.type_string() }}) as order_key,
        cast(id as {{ dbt.type_bigint() }}) as order_id,
        _source_db
        || ':'
        || cast(customer_id as {{ dbt.type_string() }}) as customer_key,

        -- attributes
        status,

        -- numerics
        cast(
            coalesce(shipping_cost, 0) as {{ dbt.type_numeric() }}
        ) as shipping_cost,

        -- timestamps
        cast(ordered_at as {{ dbt.type_timestamp() }}) as ordered_at,
        cast(ordered_at as date) as ordered_date

    from source

)

select * from renamed
