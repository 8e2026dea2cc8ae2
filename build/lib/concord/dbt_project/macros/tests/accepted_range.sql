{#- Every non-null value of the column lies in [min_value, max_value] (either bound optional;
    `inclusive: false` makes both strict). NaN fails (it compares as the largest double in DuckDB,
    and NaN is never a valid score). -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}

with

violations as (
    select {{ column_name }} as offending_value
    from {{ model }}
    where {{ column_name }} is not null
        and (
            isnan({{ column_name }})
            {% if min_value is not none %}
            or {{ column_name }} {{ '<' if inclusive else '<=' }} {{ min_value }}
            {% endif %}
            {% if max_value is not none %}
            or {{ column_name }} {{ '>' if inclusive else '>=' }} {{ max_value }}
            {% endif %}
        )
)

select * from violations

{% endtest %}
