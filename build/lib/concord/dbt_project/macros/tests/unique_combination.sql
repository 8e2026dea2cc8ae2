{#- Compound primary key test: no two rows share the same values of `columns` (and none of them is
    null). Usage, at model level:
        data_tests:
          - unique_combination:
              arguments:
                columns: [project_id, control_name]
-#}
{% test unique_combination(model, columns) %}

with

keyed as (
    select
        {% for column in columns %}{{ column }},
        {% endfor %}count(*) as n_rows,
    from {{ model }}
    group by {% for column in columns %}{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
),

violations as (
    select * from keyed
    where n_rows > 1
        {% for column in columns %}or {{ column }} is null
        {% endfor %}
)

select * from violations

{% endtest %}
