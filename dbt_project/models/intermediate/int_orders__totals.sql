{{ config(partitions=dump_date_partitions()) }}

with

orders as (

    select * from {{ ref('stg_shop__orders') }}
    where {{ dump_date_filter() }}

),

order_items as (

    select * from {{ ref('stg_shop__order_items') }}
    where {{ dump_date_filter() }}

),

order_item_totals as (

    select
        _dump_date,
        order_key,
        sum(line_revenue) as items_revenue,
        sum(quantity) as units

    from order_items

    group by _dump_date, order_key

),

orders_with_totals as (

    select
        orders._dump_date,
        orders._source_db,
        orders.order_key,
        orders.customer_key,
        orders.status,
        orders.ordered_at,
        orders.ordered_date,
        orders.shipping_cost,
        coalesce(order_item_totals.items_revenue, 0) as items_revenue,
        coalesce(order_item_totals.units, 0) as units,
        orders.status not in ('cancelled', 'returned') as is_revenue

    from orders

    left join order_item_totals
        on
            orders._dump_date = order_item_totals._dump_date
            and orders.order_key = order_item_totals.order_key

)

select * from orders_with_totals
