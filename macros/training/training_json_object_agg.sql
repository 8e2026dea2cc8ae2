{#- Aggregate (key, JSON value text) pairs into one JSON object, keys sorted: deterministic text,
    so extracts written from it are byte-identical run to run. -#}
{% macro training_json_object_agg(key, value_json) -%}
    {{ return(adapter.dispatch('training_json_object_agg', 'concord')(key, value_json)) }}
{%- endmacro %}

{% macro duckdb__training_json_object_agg(key, value_json) -%}
    ('{' || string_agg(cast(to_json({{ key }}) as varchar) || ':' || cast({{ value_json }} as varchar), ',' order by {{ key }}) || '}')
{%- endmacro %}

{% macro spark__training_json_object_agg(key, value_json) -%}
    concat('{', array_join(transform(array_sort(collect_list(struct({{ key }} as k, {{ value_json }} as v))), x -> concat(to_json(array(x.k)), ':', x.v)), ','), '}')
{%- endmacro %}
