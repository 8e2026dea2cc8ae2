-- One row per (bootstrap replicate 1..B, project, control): every reliability coefficient
-- recomputed on a Poisson(1) resample of the units (tasks), #14. B = var
-- concord_bootstrap_replicates; the unit weights come from a hash of (concord_bootstrap_seed,
-- replicate, task_id) (macros/reliability/reliability_bootstrap_weight.sql), so a rebuild gives
-- the same replicates; same formulas as fct_control_reliability (reliability_coefficients).
with

bootstrap_weights as (
    {{ reliability_profile_weights(
        ref('int_reliability__unit_profiles'), var('concord_bootstrap_replicates')
    ) }}
)

select * from (
    {{ reliability_coefficients('bootstrap_weights', ref('int_reliability__profiles'),
        ref('int_reliability__profile_categories'), ref('int_reliability__profile_coincidences'),
        ref('int_reliability__controls')) }}
) as coefficients
