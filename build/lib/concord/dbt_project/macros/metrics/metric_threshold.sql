{#- Threshold ("consensus") variant of any metric: 1 if score >= threshold, else 0; the raw score
    when no threshold is configured. Source: Enterprise's "(Threshold)" metric variants. -#}
{% macro metric_threshold(score, threshold) -%}
    case
        when {{ threshold }} is null then {{ score }}
        when {{ score }} is null then null
        when {{ score }} >= {{ threshold }} then 1.0
        else 0.0
    end
{%- endmacro %}
