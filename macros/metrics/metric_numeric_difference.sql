{#- numeric_difference: s(a, b) = 1 / (1 + |a - b|)
    Source: Label Studio Enterprise "Numeric Difference" (its default for Number and Rating).
    Ratings 3/4/5: s(3,4) = 0.5, s(3,5) = 1/3, s(4,5) = 0.5.
    metric_version: 1, recorded in the agreement_metrics() registry (bump it there when this changes). -#}
{% macro metric_numeric_difference(a, b) -%}
    {#- in (0, 1] for finite numbers; clamped like every pair score (metric_unit_interval) #}
    {{ metric_unit_interval('1.0 / (1.0 + abs(cast(' ~ a ~ ' as double) - cast(' ~ b ~ ' as double)))') }}
{%- endmacro %}
