{#- Aggregate: the distinct text values of `expression`, sorted, joined by `separator`. -#}
{% macro model_eval_string_agg(expression, separator=', ') -%}
    {{ return(adapter.dispatch('model_eval_string_agg', 'concord')(expression, separator)) }}
{%- endmacro %}

{% macro duckdb__model_eval_string_agg(expression, separator=', ') -%}
    string_agg(distinct {{ expression }}, '{{ separator }}' order by {{ expression }})
{%- endmacro %}

{% macro spark__model_eval_string_agg(expression, separator=', ') -%}
    concat_ws('{{ separator }}', array_sort(collect_set({{ expression }})))
{%- endmacro %}
