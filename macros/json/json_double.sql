{#- The number at `path` as a double, whether JSON wrote it as an int (5), a float (5.0) or a
    numeric string ("5"); null for anything else (objects, booleans, non-numeric text). -#}
{% macro json_double(column, path) -%}
    {{ return(adapter.dispatch('json_double', 'concord')(column, path)) }}
{%- endmacro %}

{% macro duckdb__json_double(column, path) -%}
    case
        when json_type({{ column }}, '{{ path }}') in ('BIGINT', 'UBIGINT', 'DOUBLE', 'VARCHAR')
            then try_cast(json_extract_string({{ column }}, '{{ path }}') as {{ concord.type_double() }})
    end
{%- endmacro %}

{% macro spark__json_double(column, path) -%}
    cast(get_json_object({{ column }}, '{{ path }}') as double)
{%- endmacro %}
