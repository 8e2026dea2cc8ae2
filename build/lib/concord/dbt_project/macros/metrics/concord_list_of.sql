{#- A one-element list holding expr (a NULL expr gives [NULL], as list aggregation of one row does). -#}
{% macro concord_list_of(expr) -%}
    {{ return(adapter.dispatch('concord_list_of', 'concord')(expr)) }}
{%- endmacro %}

{% macro duckdb__concord_list_of(expr) -%}
    list_value({{ expr }})
{%- endmacro %}

{% macro spark__concord_list_of(expr) -%}
    array({{ expr }})
{%- endmacro %}
