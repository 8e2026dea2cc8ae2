{#- An 8-byte float type: dbt.type_float() is 4-byte on DuckDB and Spark, too coarse for scores. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'concord')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double
{%- endmacro %}
