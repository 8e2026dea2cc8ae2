{#- Seconds (double, sub-second precision) from timestamp `start_ts` to `end_ts`. -#}
{% macro seconds_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('seconds_between', 'concord')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro duckdb__seconds_between(start_ts, end_ts) -%}
    (epoch({{ end_ts }}) - epoch({{ start_ts }}))
{%- endmacro %}

{% macro spark__seconds_between(start_ts, end_ts) -%}
    (unix_micros({{ end_ts }}) - unix_micros({{ start_ts }})) / 1e6
{%- endmacro %}
