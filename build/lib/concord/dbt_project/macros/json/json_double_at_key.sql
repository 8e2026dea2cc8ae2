{#- The number under a key only known per row (the SQL expression `key_sql`) of the JSON object
    `column`, as a double: ints, floats and numeric strings; null for anything else. Used for the
    model score, whose task.data field name comes from each project's config. -#}
{% macro json_double_at_key(column, key_sql) -%}
    {{ return(adapter.dispatch('json_double_at_key', 'concord')(column, key_sql)) }}
{%- endmacro %}

{% macro duckdb__json_double_at_key(column, key_sql) -%}
    case
        when json_type({{ column }}, '$."' || {{ key_sql }} || '"') in ('BIGINT', 'UBIGINT', 'DOUBLE', 'VARCHAR')
            then try_cast(
                json_extract_string({{ column }}, '$."' || {{ key_sql }} || '"') as {{ concord.type_double() }}
            )
    end
{%- endmacro %}

{% macro spark__json_double_at_key(column, key_sql) -%}
    cast(get_json_object({{ column }}, concat('$.', {{ key_sql }})) as double)
{%- endmacro %}
