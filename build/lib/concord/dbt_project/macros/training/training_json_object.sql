{#- A JSON object (as text) from alternating key names and column expressions, keys in the order
    given. Usage: training_json_object(['consensus_value', 'col_a', 'agreement', 'col_b']). -#}
{% macro training_json_object(pairs) -%}
    {{ return(adapter.dispatch('training_json_object', 'concord')(pairs)) }}
{%- endmacro %}

{% macro duckdb__training_json_object(pairs) -%}
    cast(json_object(
        {%- for i in range(0, pairs | length, 2) %}
        '{{ pairs[i] }}', {{ pairs[i + 1] }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    ) as varchar)
{%- endmacro %}

{% macro spark__training_json_object(pairs) -%}
    to_json(named_struct(
        {%- for i in range(0, pairs | length, 2) %}
        '{{ pairs[i] }}', {{ pairs[i + 1] }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    ))
{%- endmacro %}
