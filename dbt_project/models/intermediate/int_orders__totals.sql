{{ config(**dump_date_incremental()) }}

with items as (
    select
        _dump_date,
        order_key,
        sum(line_revenue) as items_revenue,
        sum(quantity) as units
    from {{ ref('stg_shop__order_items') }}
    where {{ dump_date_filter() }}
    group by _dump_date, order_key
)

select
    orders._dump_date,
    orders._source_db,
    orders.order_key,
    orders.customer_key,
    orders.status,
    orders.ordered_at,
    orders.ordered_date,
    orders.shipping_cost,
    coalesce(items.items_revenue, 0) as items_revenue,
    coalesce(items.units, 0) as units,
    orders.status not in ('cancelled', 'returned') as is_revenue
from {{ ref('stg_shop__orders') }} as orders
left join items
    on items._dump_date = orders._dump_date and items.order_key = orders.order_key
where {{ dump_date_filter('orders._dump_date') }}
