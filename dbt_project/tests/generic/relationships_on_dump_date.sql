{#- dbt's relationships test per dump date: every non-null `column_name` of `model` is a
    `field` of `to` on the same _dump_date (a key present only on another date fails). Both
    sides cover the run's dump dates: `model` through the project's `where` config, `to`
    through the same predicate. -#}
{% test relationships_on_dump_date(model, column_name, to, field) %}

with

child as (

    select
        _dump_date,
        {{ column_name }} as from_field

    from {{ model }}

    where {{ column_name }} is not null

),

parent as (

    select
        _dump_date,
        {{ field }} as to_field

    from {{ to }}

    where {{ dump_date_filter() }}

)

select
    child._dump_date,
    child.from_field

from child

left join parent
    on
        child._dump_date = parent._dump_date
        and child.from_field = parent.to_field

where parent.to_field is null

{% endtest %}
