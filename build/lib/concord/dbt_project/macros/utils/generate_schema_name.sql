{#- Custom schemas are used as written (staging, intermediate, marts, seeds) rather than
    dbt's default '<target schema>_<custom>': analysts query `marts.fct_...` directly. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
