{#- True when the list `column` contains the value of the SQL expression `value_sql`. -#}
{% macro list_contains(column, value_sql) -%}
    {{ return(adapter.dispatch('list_contains', 'concord')(column, value_sql)) }}
{%- endmacro %}

{% macro duckdb__list_contains(column, value_sql) -%}
    list_contains({{ column }}, {{ value_sql }})
{%- endmacro %}

{% macro spark__list_contains(column, value_sql) -%}
    array_contains({{ column }}, {{ value_sql }})
{%- endmacro %}
