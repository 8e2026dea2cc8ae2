{#- First element of a list (NULL for an empty or NULL list). -#}
{% macro concord_list_first(expr) -%}
    {{ return(adapter.dispatch('concord_list_first', 'concord')(expr)) }}
{%- endmacro %}

{% macro duckdb__concord_list_first(expr) -%}
    ({{ expr }})[1]
{%- endmacro %}

{% macro spark__concord_list_first(expr) -%}
    try_element_at({{ expr }}, 1)
{%- endmacro %}
