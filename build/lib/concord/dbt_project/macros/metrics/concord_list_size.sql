{#- Number of elements of a list; 0 for NULL. -#}
{% macro concord_list_size(expr) -%}
    {{ return(adapter.dispatch('concord_list_size', 'concord')(expr)) }}
{%- endmacro %}

{% macro duckdb__concord_list_size(expr) -%}
    coalesce(len({{ expr }}), 0)
{%- endmacro %}

{% macro spark__concord_list_size(expr) -%}
    coalesce(size({{ expr }}), 0)
{%- endmacro %}
