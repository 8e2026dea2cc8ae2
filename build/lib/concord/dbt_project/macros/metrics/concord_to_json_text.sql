{#- A value (list, nested list) serialised as compact JSON text: the canonical key of a label set. -#}
{% macro concord_to_json_text(expr) -%}
    {{ return(adapter.dispatch('concord_to_json_text', 'concord')(expr)) }}
{%- endmacro %}

{% macro duckdb__concord_to_json_text(expr) -%}
    cast(to_json({{ expr }}) as varchar)
{%- endmacro %}

{% macro spark__concord_to_json_text(expr) -%}
    to_json({{ expr }})
{%- endmacro %}
