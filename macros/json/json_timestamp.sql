{#- The ISO-8601 timestamp text at `path` as a UTC timestamp (Label Studio writes
    '2026-11-28T06:24:48.858617Z'); null when absent or unparseable (checked by `concord check`). -#}
{% macro json_timestamp(column, path) -%}
    {{ return(adapter.dispatch('json_timestamp', 'concord')(column, path)) }}
{%- endmacro %}

{% macro duckdb__json_timestamp(column, path) -%}
    try_cast(try_cast(json_extract_string({{ column }}, '{{ path }}') as timestamptz) at time zone 'UTC' as timestamp)
{%- endmacro %}

{% macro spark__json_timestamp(column, path) -%}
    to_utc_timestamp(to_timestamp(get_json_object({{ column }}, '{{ path }}')), 'UTC')
{%- endmacro %}
