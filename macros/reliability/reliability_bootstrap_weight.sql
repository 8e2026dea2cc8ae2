{#- Poisson(1) bootstrap weight of unit (task) `unit_id` in replicate `replicate_id` (#14).
    u = the top 53 bits of h / 2^53, uniform on [0, 1), where
      replicate_key = hash(xor(hash(replicate_id), seed)),  h = hash(xor(hash(unit_id), replicate_key))
    (DuckDB's one-argument hash, a 64-bit mixer, applied twice). Not DuckDB's multi-argument
    hash(seed, replicate, unit): its combination of the arguments' hashes left the weights of
    units 1-10 correlated at 0.98 across replicates (found by the weight test), which made every
    replicate resample near-identical sets of tasks.
    weight = the number of Poisson(1) CDF values F(0..15) that are <= u (inverse-CDF draw; the
    chance of a weight above 16 is below 1e-15 and is cut to 16). Deterministic: the same (seed,
    replicate, unit) always gives the same weight, whatever other units exist, so a rebuild, a
    subset (reliability_for_tasks) and every control of one task share the weights.
    tests/agreement/test_bootstrap_replicates.py recomputes these weights in Python. -#}
{% macro reliability_poisson_cdf() -%}
{{ return([0.36787944117144233, 0.7357588823428847, 0.9196986029286058, 0.9810118431238463,
           0.9963401531726563, 0.9994058151824183, 0.999916758850712, 0.9999897508033253,
           0.999998874797402, 0.9999998885745216, 0.9999999899522336, 0.9999999991683892,
           0.9999999999364022, 0.9999999999954802, 0.9999999999997, 0.9999999999999813]) }}
{%- endmacro %}

{% macro reliability_replicate_key(replicate_id) -%}
hash(xor(hash(cast({{ replicate_id }} as bigint)), cast({{ var('concord_bootstrap_seed') }} as ubigint)))
{%- endmacro %}

{% macro reliability_bootstrap_uniform(replicate_key, unit_id) -%}
(cast(hash(xor(hash(cast({{ unit_id }} as bigint)), {{ replicate_key }})) >> 11 as double) / 9007199254740992.0)
{%- endmacro %}

{% macro reliability_poisson_weight(uniform) -%}
({% for threshold in reliability_poisson_cdf() %}cast({{ uniform }} >= {{ threshold }} as integer){% if not loop.last %} + {% endif %}{% endfor %})
{%- endmacro %}
