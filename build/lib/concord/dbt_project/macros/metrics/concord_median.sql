{#- Median of a numeric column (aggregate); the mean of the two middle values for an even count. -#}
{% macro concord_median(expr) -%}
    {{ return(adapter.dispatch('concord_median', 'concord')(expr)) }}
{%- endmacro %}

{% macro duckdb__concord_median(expr) -%}
    median({{ expr }})
{%- endmacro %}

{% macro spark__concord_median(expr) -%}
    percentile({{ expr }}, 0.5)
{%- endmacro %}
