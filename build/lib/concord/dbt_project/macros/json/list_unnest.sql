{#- Select-list fragment: one row per element of the list column `column`, as `element_alias`,
    with its 0-based position as `index_alias`. Null or empty lists give no rows. -#}
{% macro list_unnest(column, element_alias, index_alias) -%}
    {{ return(adapter.dispatch('list_unnest', 'concord')(column, element_alias, index_alias)) }}
{%- endmacro %}

{% macro duckdb__list_unnest(column, element_alias, index_alias) -%}
    unnest({{ column }}) as {{ element_alias }},
    generate_subscripts({{ column }}, 1) - 1 as {{ index_alias }}
{%- endmacro %}

{% macro spark__list_unnest(column, element_alias, index_alias) -%}
    posexplode({{ column }}) as ({{ index_alias }}, {{ element_alias }})
{%- endmacro %}
