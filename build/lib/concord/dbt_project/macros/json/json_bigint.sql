{#- The integer at `path` as a bigint (ints, integral floats like 7.0 and numeric strings); null
    for anything else. -#}
{% macro json_bigint(column, path) -%}
    {{ return(adapter.dispatch('json_bigint', 'concord')(column, path)) }}
{%- endmacro %}

{% macro duckdb__json_bigint(column, path) -%}
    case
        when json_type({{ column }}, '{{ path }}') in ('BIGINT', 'UBIGINT', 'DOUBLE', 'VARCHAR')
            then try_cast(try_cast(json_extract_string({{ column }}, '{{ path }}') as double) as bigint)
    end
{%- endmacro %}

{% macro spark__json_bigint(column, path) -%}
    cast(cast(get_json_object({{ column }}, '{{ path }}') as double) as bigint)
{%- endmacro %}
