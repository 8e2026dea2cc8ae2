{#- Like json_text_list, for the array under a key that is only known per row: the key of
    `object_path` named by the SQL expression `key_sql` (e.g. the result's own `type`, whose
    value holds the labels of any *labels control). Null when that value is not an array. -#}
{% macro json_text_list_at_key(column, object_path, key_sql) -%}
    {{ return(adapter.dispatch('json_text_list_at_key', 'concord')(column, object_path, key_sql)) }}
{%- endmacro %}

{% macro duckdb__json_text_list_at_key(column, object_path, key_sql) -%}
    case
        when json_type({{ column }}, '{{ object_path }}."' || {{ key_sql }} || '"') = 'ARRAY'
            then try_cast(json_extract({{ column }}, '{{ object_path }}."' || {{ key_sql }} || '"') as varchar[])
    end
{%- endmacro %}

{% macro spark__json_text_list_at_key(column, object_path, key_sql) -%}
    from_json(
        get_json_object({{ column }}, concat('{{ object_path }}.', {{ key_sql }})),
        'array<string>'
    )
{%- endmacro %}
