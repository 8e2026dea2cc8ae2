-- One row per (project, control, unit): the unit's sufficient statistics for every reliability
-- coefficient (macros/reliability/reliability_unit_rows.sql) and its profile_id (units with
-- identical statistics share one; the bootstrap weights are summed per profile).
{%- set unit_rows = reliability_unit_rows(
    ref('int_reliability__unit_values'), ref('int_reliability__unit_pair_sums')
) %}
{{ reliability_profile_ids('(' ~ unit_rows ~ ')') }}
