-- One row per (project, control): chance-corrected reliability of the human annotations, computed
-- from coincidence matrices in SQL. Units = tasks; values = one per submitted annotation that
-- answered the control. Single-valued controls only (Choices single, Pairwise: categorical;
-- Rating, Number: numeric); every coefficient is NULL with a reason when it is not computable.
--   Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's alpha-reliability"):
--     o_ck = sum_u n_uc (n_uk - [c = k]) / (m_u - 1) over units with m_u >= 2 values,
--     n_c = sum_k o_ck, n = sum_c n_c,  alpha = 1 - (n - 1) sum o_ck d_ck / sum n_c n_k d_ck
--     d nominal = [c != k]; interval = (c - k)^2;
--     ordinal = (sum_{g between c and k} n_g - (n_c + n_k) / 2)^2.
--   Percent agreement and Gwet's AC1 / AC2 (Gwet 2014, Handbook of Inter-Rater Reliability,
--     4th ed.; irrCAC gwet.ac1.raw): pa = mean over units with r_u >= 2 of
--     sum_k r_uk (r*_uk - 1) / (r_u (r_u - 1)), r*_uk = sum_l w_kl r_ul;
--     pi_k = mean over units with r_u >= 1 of r_uk / r_u; pe = T_w sum_k pi_k (1 - pi_k) / (q (q - 1));
--     AC = (pa - pe) / (1 - pe). AC1: w = identity. AC2 (numeric controls): quadratic weights
--     w_kl = 1 - (x_k - x_l)^2 / (x_max - x_min)^2. q = categories observed.
--   Fleiss' kappa (Fleiss 1971) over the units with >= 2 values, only when all of them have the
--     same number m of values: p_j = sum_u n_uj / (N m), P_u = (sum_j n_uj^2 - m) / (m (m - 1)),
--     kappa = (mean P_u - sum p_j^2) / (1 - sum p_j^2).
--   Cohen's kappa (Cohen 1960), only when exactly two annotators answered the control, over the
--     units both answered: kappa = (p_o - p_e) / (1 - p_e), p_e = sum_c p1_c p2_c.
-- The per-unit sufficient statistics live in models/intermediate/reliability (int_reliability__*)
-- and every coefficient in macros/reliability/reliability_coefficients.sql, shared with the
-- bootstrap intervals (fct_control_reliability_ci) and the reliability_for_tasks table macro:
-- this model is that macro on the data itself (replicate 0: each profile weighted by its units).
with

controls as (
    select * from {{ ref('int_reliability__controls') }}
),

answered_units as (
    select project_id, control_name, count(distinct task_id) as n_units_answered,
    from {{ ref('int_agreement_judgment_values') }}
    where judgment_kind = 'annotation'
    group by project_id, control_name
),

point_weights as (
    {{ reliability_profile_weights(ref('int_reliability__unit_profiles'), 0) }}
),

coefficients as (
    {{ reliability_coefficients('point_weights', ref('int_reliability__profiles'),
        ref('int_reliability__profile_categories'), ref('int_reliability__profile_coincidences'),
        ref('int_reliability__controls')) }}
),

final as (
    select
        controls.project_id,
        controls.control_name,
        controls.control_type,
        controls.value_kind,
        cast(coalesce(nullif(coefficients.n_units, 0), answered_units.n_units_answered, 0) as bigint) as n_units,
        cast(coalesce(coefficients.n_coincident_units, 0) as hugeint) as n_coincident_units,
        cast(coalesce(coefficients.n_annotators, 0) as bigint) as n_annotators,
        cast(coalesce(coefficients.n_values, 0) as hugeint) as n_values,
        cast(coefficients.n_categories as bigint) as n_categories,
        cast(coalesce(coefficients.n_pairs, 0) as bigint) as n_pairs,
        coefficients.mean_pairwise_agreement,
        coefficients.percent_agreement,
        coefficients.alpha_nominal,
        coefficients.alpha_ordinal,
        coefficients.alpha_interval,
        case
            when controls.value_kind is null
                then 'needs one categorical or numeric value per annotation (control type ' || controls.control_type || ')'
            when coalesce(coefficients.n_coincident_units, 0) = 0 then 'no unit has 2 or more annotations'
            when coefficients.expected_nominal = 0 then 'no variation: every pairable value is the same'
        end as alpha_reason,
        coefficients.gwet_ac1,
        coefficients.gwet_ac2,
        case
            when controls.value_kind is null
                then 'needs one categorical or numeric value per annotation (control type ' || controls.control_type || ')'
            when coalesce(coefficients.n_coincident_units, 0) = 0 then 'no unit has 2 or more annotations'
            when coalesce(coefficients.n_categories, 0) < 2 then 'no variation: one category only'
            when controls.value_kind = 'categorical' then 'AC2 needs ordered (numeric) categories; AC1 given'
        end as gwet_reason,
        coefficients.fleiss_kappa,
        case
            when controls.value_kind is null
                then 'needs one categorical or numeric value per annotation (control type ' || controls.control_type || ')'
            when coalesce(coefficients.n_coincident_units, 0) = 0 then 'no unit has 2 or more annotations'
            when coefficients.min_unit_values != coefficients.max_unit_values
                then 'units have unequal numbers of annotations ('
                    || cast(coefficients.min_unit_values as {{ dbt.type_string() }}) || ' to '
                    || cast(coefficients.max_unit_values as {{ dbt.type_string() }}) || ')'
            when coefficients.fleiss_chance >= 1 then 'no variation: every value is the same'
        end as fleiss_reason,
        coefficients.cohen_kappa,
        case
            when controls.value_kind is null
                then 'needs one categorical or numeric value per annotation (control type ' || controls.control_type || ')'
            when coalesce(coefficients.n_annotators, 0) != 2
                then 'needs exactly two annotators (found '
                    || cast(coalesce(coefficients.n_annotators, 0) as {{ dbt.type_string() }}) || ')'
            when coalesce(coefficients.n_cohen_units, 0) = 0 then 'the two annotators share no unit'
            when coefficients.cohen_expected >= 1 then 'no variation: both annotators always give the same value'
        end as cohen_reason,
        cast(coalesce(coefficients.n_cohen_units, 0) as bigint) as n_cohen_units,
    from controls
    left join coefficients
        on controls.project_id = coefficients.project_id
        and controls.control_name = coefficients.control_name
    left join answered_units
        on controls.project_id = answered_units.project_id
        and controls.control_name = answered_units.control_name
)

select * from final
