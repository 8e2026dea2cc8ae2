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
    select
        project_id,
        control_name,
        count(distinct task_id) as n_units_answered
    from {{ ref('int_agreement__judgment_values') }}
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
    {{ reliability_estimates('controls', 'coefficients', 'answered_units') }}
)

select * from final
