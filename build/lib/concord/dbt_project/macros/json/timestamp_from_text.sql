{#- An ISO-8601 timestamp string ('2026-11-28T06:24:48.858617Z') as a UTC timestamp; null when
    it does not parse (`concord check` reports those). -#}
{% macro timestamp_from_text(expression) -%}
    {{ return(adapter.dispatch('timestamp_from_text', 'concord')(expression)) }}
{%- endmacro %}

{% macro duckdb__timestamp_from_text(expression) -%}
    cast(timezone('UTC', try_cast({{ expression }} as timestamptz)) as timestamp)
{%- endmacro %}

{% macro spark__timestamp_from_text(expression) -%}
    to_utc_timestamp(to_timestamp({{ expression }}), 'UTC')
{%- endmacro %}
