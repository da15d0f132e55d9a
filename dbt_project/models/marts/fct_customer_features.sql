{{ config(**dump_date_incremental()) }}

{#- Point-in-time: every feature is computed from the dump of _dump_date only, so a row never
    sees data from after its date (no leakage when training on past dates). -#}

with orders as (
    select * from {{ ref('int_orders__totals') }}
    where {{ dump_date_filter() }}
),

per_customer as (
    select
        _dump_date,
        customer_key,
        sum(case when is_revenue then 1 else 0 end) as n_orders,
        sum(case when status = 'cancelled' then 1 else 0 end) as n_cancelled,
        sum(case when status = 'returned' then 1 else 0 end) as n_returned,
        sum(case when is_revenue then items_revenue else 0 end) as total_revenue,
        max(case when status != 'cancelled' then ordered_date end) as last_order_date,
        sum(
            case when is_revenue and {{ days_between('ordered_date', '_dump_date') }} < 30 then 1 else 0 end
        ) as n_orders_last_30d
    from orders
    group by _dump_date, customer_key
)

select
    customers._dump_date,
    customers._source_db,
    customers.customer_key,
    customers.email_sha256,
    customers.country_code,
    customers.is_marketing_opt_in,
    {{ days_between('customers.signup_date', 'customers._dump_date') }} as tenure_days,
    coalesce(per_customer.n_orders, 0) as n_orders,
    coalesce(per_customer.n_cancelled, 0) as n_cancelled,
    coalesce(per_customer.n_returned, 0) as n_returned,
    cast(coalesce(per_customer.total_revenue, 0) as {{ dbt.type_numeric() }}) as total_revenue,
    cast(
        per_customer.total_revenue / nullif(per_customer.n_orders, 0) as {{ type_float64() }}
    ) as avg_order_value,
    {{ days_between('per_customer.last_order_date', 'customers._dump_date') }} as days_since_last_order,
    coalesce(per_customer.n_orders_last_30d, 0) as n_orders_last_30d
from {{ ref('stg_shop__customers') }} as customers
left join per_customer
    on per_customer._dump_date = customers._dump_date and per_customer.customer_key = customers.customer_key
where {{ dump_date_filter('customers._dump_date') }}
