{#- True when the list `column` shares an element with the list literal `values`. -#}
{% macro list_has_any(column, values) -%}
    {{ return(adapter.dispatch('list_has_any', 'concord')(column, values)) }}
{%- endmacro %}

{% macro duckdb__list_has_any(column, values) -%}
    list_has_any({{ column }}, [{% for v in values %}'{{ v }}'{% if not loop.last %}, {% endif %}{% endfor %}])
{%- endmacro %}

{% macro spark__list_has_any(column, values) -%}
    arrays_overlap({{ column }}, array({% for v in values %}'{{ v }}'{% if not loop.last %}, {% endif %}{% endfor %}))
{%- endmacro %}
