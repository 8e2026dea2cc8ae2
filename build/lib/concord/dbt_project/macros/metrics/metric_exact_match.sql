{#- exact_match (metric_version in agreement_metrics()):
        s(a, b) = 1 if key(a) = key(b) else 0
    key is the canonical value key of a judgment's control (sorted label set as JSON, the number,
    the ranked order...). Source: Label Studio Enterprise "Exact Match". -#}
{% macro metric_exact_match(key_a, key_b) -%}
    case when {{ key_a }} = {{ key_b }} then 1.0 else 0.0 end
{%- endmacro %}
