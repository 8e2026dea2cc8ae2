{#- The JSON type of the value at `path` ('$' for the column itself), upper-case as DuckDB names it:
    OBJECT, ARRAY, VARCHAR, BIGINT, UBIGINT, DOUBLE, BOOLEAN, NULL; SQL null when absent. -#}
{% macro json_type(column, path='$') -%}
    {{ return(adapter.dispatch('json_type', 'concord')(column, path)) }}
{%- endmacro %}

{% macro duckdb__json_type(column, path='$') -%}
    json_type({{ column }}, '{{ path }}')
{%- endmacro %}

{% macro spark__json_type(column, path='$') -%}
    {#- Spark has no json_type: infer from the first character of the extracted text -#}
    case
        when get_json_object({{ column }}, '{{ path }}') is null then null
        when substr(ltrim(get_json_object({{ column }}, '{{ path }}')), 1, 1) = '{' then 'OBJECT'
        when substr(ltrim(get_json_object({{ column }}, '{{ path }}')), 1, 1) = '[' then 'ARRAY'
        when get_json_object({{ column }}, '{{ path }}') in ('true', 'false') then 'BOOLEAN'
        when cast(get_json_object({{ column }}, '{{ path }}') as double) is not null then 'DOUBLE'
        else 'VARCHAR'
    end
{%- endmacro %}
