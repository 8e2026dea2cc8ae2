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

totals as (
    select
        project_id,
        control_name,
        model_version,
        cast(sum(n_units) as bigint) as n_units,
        sum(case when is_diagonal then n_units else 0 end) as n_agree,
    from confusion
    group by project_id, control_name, model_version
),

model_marginals as (
    select project_id, control_name, model_version, model_label as label, sum(n_units) as n_model,
    from confusion
    group by project_id, control_name, model_version, model_label
),

human_marginals as (
    select project_id, control_name, model_version, human_label as label, sum(n_units) as n_human,
    from confusion
    group by project_id, control_name, model_version, human_label
),

chance as (
    select
        model_marginals.project_id,
        model_marginals.control_name,
        model_marginals.model_version,
        sum(cast(model_marginals.n_model as double) * human_marginals.n_human) as marginal_product,
    from model_marginals
    inner join human_marginals
        on model_marginals.project_id = human_marginals.project_id
        and model_marginals.control_name = human_marginals.control_name
        and model_marginals.model_version = human_marginals.model_version
        and model_marginals.label = human_marginals.label
    group by model_marginals.project_id, model_marginals.control_name, model_marginals.model_version
),

agreement as (
    select
        totals.project_id,
        totals.control_name,
        totals.model_version,
        totals.n_units,
        cast(totals.n_agree as double) / totals.n_units as observed_agreement,
        chance.marginal_product / (cast(totals.n_units as double) * totals.n_units) as chance_agreement,
    from totals
    inner join chance
        on totals.project_id = chance.project_id
        and totals.control_name = chance.control_name
        and totals.model_version = chance.model_version
    where totals.n_units > 0
),

kappa as (
    select
        *,
        case
            when chance_agreement < 1
                then (observed_agreement - chance_agreement) / (1 - chance_agreement)
        end as cohen_kappa,
        case when chance_agreement >= 1 then 'one label only on both sides: kappa undefined' end as kappa_null_reason,
        'cohen_kappa_v1' as metric_version,
    from agreement
)

select * from kappa
