{{ config(partitions=dump_date_partitions()) }}

with

source as (

    select * from {{ source('shop', 'customers') }}
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
        || cast(id as {{ dbt.type_string() }}) as customer_key,
        cast(id as {{ dbt.type_bigint() }}) as customer_id,

        -- attributes
        email as email_sha256,
        full_name,
        country as country_code,
        marketing_opt_in = 1 as is_marketing_opt_in,
        nullif(trim(notes), '') as notes,

        -- timestamps
        cast(signup_at as {{ dbt.type_timestamp() }}) as signup_at,
        cast(signup_at as date) as signup_date

    from source

)

select * from renamed
