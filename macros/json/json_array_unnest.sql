{#- A select-list fragment that turns one row into one row per element of the JSON array at `path`
    of `column`: `<element_alias>` (JSON) and `<index_alias>` (0-based position). Rows whose value
    is not an array (absent, null, `{}`, a scalar) give no rows: guard first, because DuckDB's cast
    to json[] raises on anything but an array (see ../shared/engines.md). -#}
{% macro json_array_unnest(column, path, element_alias, index_alias) -%}
    {{ return(adapter.dispatch('json_array_unnest', 'concord')(column, path, element_alias, index_alias)) }}
{%- endmacro %}

{% macro duckdb__json_array_unnest(column, path, element_alias, index_alias) -%}
    {%- set arr -%}
        case
            when json_type({{ column }}, '{{ path }}') = 'ARRAY'
                then cast(json_extract({{ column }}, '{{ path }}') as json[])
        end
    {%- endset -%}
    unnest({{ arr }}) as {{ element_alias }},
    generate_subscripts({{ arr }}, 1) - 1 as {{ index_alias }}
{%- endmacro %}

{% macro spark__json_array_unnest(column, path, element_alias, index_alias) -%}
    posexplode(
        from_json(get_json_object({{ column }}, '{{ path }}'), 'array<string>')
    ) as ({{ index_alias }}, {{ element_alias }})
{%- endmacro %}
