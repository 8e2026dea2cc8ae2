{#- numeric_scaled: s(a, b) = 1 - |a - b| / (max - min), clamped to [0, 1]; NULL when the scale is
    unknown or empty (max <= min). Rating scale: 1..maxRating; Number: min..max attributes.
    Source: Concord's scale-aware variant of Enterprise "Numeric Difference".
    metric_version: 1, recorded in the agreement_metrics() registry (bump it there when this changes). -#}
{% macro metric_numeric_scaled(a, b, scale_min, scale_max) -%}
    case
        when {{ scale_max }} is null or {{ scale_min }} is null or {{ scale_max }} <= {{ scale_min }} then null
        {#- below 0 for values outside the scale; clamped (metric_unit_interval) #}
        else {{ metric_unit_interval('1.0 - abs(cast(' ~ a ~ ' as double) - cast(' ~ b ~ ' as double))
            / (cast(' ~ scale_max ~ ' as double) - cast(' ~ scale_min ~ ' as double))') }}
    end
{%- endmacro %}
