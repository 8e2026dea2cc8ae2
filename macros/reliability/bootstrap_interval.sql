{#- Percentile bootstrap interval (Efron & Tibshirani 1993, ch. 13) over the non-NULL replicate
    values `value`: [quantile_cont(alpha / 2), quantile_cont(1 - alpha / 2)], alpha = 1 - level
    (linear interpolation between order statistics, numpy.percentile's default). -#}
{% macro bootstrap_lower(value) -%}
quantile_cont({{ value }}, {{ (1 - var('concord_bootstrap_level')) / 2 }})
{%- endmacro %}

{% macro bootstrap_upper(value) -%}
quantile_cont({{ value }}, {{ 1 - (1 - var('concord_bootstrap_level')) / 2 }})
{%- endmacro %}

{#- the reason an interval is NULL, or NULL when it is given (checked in this order) -#}
{% macro bootstrap_null_reason(estimate, estimate_reason, n_units, n_valid_replicates) -%}
case
    when {{ estimate }} is null then 'no estimate: ' || coalesce({{ estimate_reason }}, 'not computable for this control')
    when {{ n_units }} < {{ var('concord_bootstrap_min_units') }}
        then 'too few units: ' || cast({{ n_units }} as {{ dbt.type_string() }}) || ' (concord_bootstrap_min_units '
            || '{{ var("concord_bootstrap_min_units") }})'
    when {{ var('concord_bootstrap_replicates') }} - {{ n_valid_replicates }}
            > {{ var('concord_bootstrap_max_undefined_share') }} * {{ var('concord_bootstrap_replicates') }}
        then 'undefined in ' || cast({{ var('concord_bootstrap_replicates') }} - {{ n_valid_replicates }} as {{ dbt.type_string() }})
            || ' of {{ var("concord_bootstrap_replicates") }} replicates (too little variation to resample)'
end
{%- endmacro %}
