{#- A measured value against a threshold: `value op threshold`, with the value rounded to 12
    decimals first. An average's last bits depend on the order DuckDB adds in, which changes
    with the plan and the threads: 0.95 came out as 0.9499999999999998 in one build and
    0.9500000000000001 in another, and a `< 0.95` flag flipped for the same data. Rounded, a
    value that is mathematically at the threshold compares as at it, in every build.
    Usage: {{ concord_compare('agreement', '>=', 0.6) }} -#}
{% macro concord_compare(value, op, threshold) -%}
    round({{ value }}, 12) {{ op }} {{ threshold }}
{%- endmacro %}
