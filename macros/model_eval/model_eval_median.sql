{#- Median of a numeric expression (aggregate), interpolated between the two middle values for an
    even count (numpy.median semantics). -#}
{% macro model_eval_median(expression) -%}
    {{ return(adapter.dispatch('model_eval_median', 'concord')(expression)) }}
{%- endmacro %}

{% macro duckdb__model_eval_median(expression) -%}
    quantile_cont({{ expression }}, 0.5)
{%- endmacro %}

{% macro spark__model_eval_median(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}
