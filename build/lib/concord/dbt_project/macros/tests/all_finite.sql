{#- Every non-null value of the numeric column is finite (no NaN, inf, -inf). -#}
{% test all_finite(model, column_name) %}

with

violations as (
    select {{ column_name }} as offending_value
    from {{ model }}
    where {{ column_name }} is not null
        and not isfinite({{ column_name }})
)

select * from violations

{% endtest %}
