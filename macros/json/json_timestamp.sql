{#- The ISO-8601 timestamp text at `path` as a UTC timestamp (Label Studio writes
    '2026-11-28T06:24:48.858617Z'); null when absent or unparseable (checked by `concord check`). -#}
{% macro json_timestamp(column, path) -%}
    {{ concord.timestamp_from_text(concord.json_text(column, path)) }}
{%- endmacro %}
