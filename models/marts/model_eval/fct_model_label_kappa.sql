-- Cohen's kappa between the model's label and the human consensus label, per (project, Choices
-- control, model_version), from fct_model_label_confusion (N units, cell counts n_ij):
--   p_o = sum_i n_ii / N                                  (observed agreement)
--   p_e = sum_k (n_k. / N) * (n_.k / N)                   (chance agreement from the marginals)
--   kappa = (p_o - p_e) / (1 - p_e); null when p_e = 1 (both sides use one and the same label).
-- Cohen (1960); equals sklearn.metrics.cohen_kappa_score(model_labels, human_labels).
-- metric_version: cohen_kappa_v1
with

confusion as (
    select * from {{ ref('fct_model_label_confusion') }}
),

-- observed / chance agreement: the one Cohen definition (macros/reliability/cohen_kappa.sql),
-- also used by fct_control_reliability; rows (model label, human label) weighted by n_units
parts as (
    {{ cohen_agreement_parts('confusion', ['project_id', 'control_name', 'model_version'],
        'model_label', 'human_label', 'n_units') }}
),

agreement as (
    select
        project_id,
        control_name,
        model_version,
        cast(n_units as bigint) as n_units,
        observed_agreement,
        expected_agreement as chance_agreement
    from parts
    where n_units > 0
),

kappa as (
    select
        *,
        {{ cohen_kappa('observed_agreement', 'chance_agreement') }} as cohen_kappa,
        case when chance_agreement >= 1 then 'one label only on both sides: kappa undefined' end
            as kappa_null_reason,
        'cohen_kappa_v1' as metric_version
    from agreement
)

select * from kappa
