{#- Clamp a pair score to [0, 1]. Every metric macro wraps its result in this: the formulas are
    in [0, 1] mathematically, but floating point is not (two identical boxes gave
    (x + w) - x != w and an IoU of 1.0000000000000002), and one such value failed the
    accepted_range tests and with them the whole `concord build` (issue #11). A clamp changes a
    correct value by at most a rounding error; NULL stays NULL. -#}
{% macro metric_unit_interval(score) -%}
    least(1.0, greatest(0.0, {{ score }}))
{%- endmacro %}
