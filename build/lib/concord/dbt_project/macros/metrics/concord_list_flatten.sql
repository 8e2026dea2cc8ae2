{#- Flatten a list of lists one level. -#}
{% macro concord_list_flatten(expr) -%}
    {{ return(adapter.dispatch('concord_list_flatten', 'concord')(expr)) }}
{%- endmacro %}

{% macro duckdb__concord_list_flatten(expr) -%}
    flatten({{ expr }})
{%- endmacro %}

{% macro spark__concord_list_flatten(expr) -%}
    flatten({{ expr }})
{%- endmacro %}
