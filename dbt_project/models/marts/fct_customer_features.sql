{{ config(partitions=dump_date_partitions()) }}

{#- Point-in-time: every feature is computed from the dump of _dump_date
    only, so a row never sees data from after its date (no leakage when
    training on past dates). Counts are cast to the contract's int64 (a sum is
    int128 on DuckDB); dbt.datediff is int64 on both targets. -#}

with

customers as (

    select * from {{ ref('stg_shop__customers') }}
    where {{ dump_date_filter() }}

),

orders as (

    select * from {{ ref('int_orders__totals') }}
    where {{ dump_date_filter() }}

),

customer_orders as (

    select
        _dump_date,
        customer_key,
        sum(case when is_revenue then 1 else 0 end) as n_orders,
        sum(case when status = 'cancelled' then 1 else 0 end) as n_cancelled,
        sum(case when status = 'returned' then 1 else 0 end) as n_returned,
        sum(
            case when is_revenue then items_revenue else 0 end
        ) as total_revenue,
        max(
            case when status != 'cancelled' then ordered_date end
        ) as last_order_date,
        sum(
            case
                when
                    is_revenue
                    and {{ dbt.datediff('ordered_date', '_dump_date', 'day') }}
                    < 30
                    then 1
                else 0
            end
        ) as n_orders_last_30d

    from orders

    group by _dump_date, customer_key

),

customer_features as (

    select
        -- partition
        customers._dump_date,
        customers._source_db,

        -- ids
        customers.customer_key,

        -- customer attributes
        customers.email_sha256,
        customers.country_code,
        customers.is_marketing_opt_in,
        {{ dbt.datediff(
            'customers.signup_date', 'customers._dump_date', 'day'
        ) }} as tenure_days,

        -- order features
        cast(
            coalesce(customer_orders.n_orders, 0) as {{ dbt.type_bigint() }}
        ) as n_orders,
        cast(
            coalesce(customer_orders.n_cancelled, 0) as {{ dbt.type_bigint() }}
        ) as n_cancelled,
        cast(
            coalesce(customer_orders.n_returned, 0) as {{ dbt.type_bigint() }}
        ) as n_returned,
        cast(
            coalesce(customer_orders.total_revenue, 0)
            as {{ dbt.type_numeric() }}
        ) as total_revenue,
        cast(
            customer_orders.total_revenue / nullif(customer_orders.n_orders, 0)
            as {{ type_float64() }}
        ) as avg_order_value,
        {{ dbt.datediff(
            'customer_orders.last_order_date', 'customers._dump_date', 'day'
        ) }} as days_since_last_order,
        cast(
            coalesce(customer_orders.n_orders_last_30d, 0)
            as {{ dbt.type_bigint() }}
        ) as n_orders_last_30d

    from customers

    left join customer_orders
        on
            customers._dump_date = customer_orders._dump_date
            and customers.customer_key = customer_orders.customer_key

)

select * from customer_features
