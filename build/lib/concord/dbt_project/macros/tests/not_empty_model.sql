{#- The model has at least `min_rows` rows (default 1): catches a staging model that silently
    flattens nothing. -#}
{% test not_empty_model(model, min_rows=1) %}

with

counted as (
    select count(*) as n_rows from {{ model }}
)

select * from counted
where n_rows < {{ min_rows }}

{% endtest %}
