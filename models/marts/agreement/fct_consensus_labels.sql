-- One row per (task, categorical control) with at least one human vote: the majority label (every
-- annotation counts the same) beside the annotator-weighted label of the Dawid-Skene EM
-- (int_agreement__dawid_skene, docs/agreement.md "Dawid-Skene").
--   majority_label: the most frequent human label; NULL on a tie for first place
--   weighted_label: the class with the highest posterior (ties: the first label in text order,
--     as crowd-kit's idxmax); posterior_probability: that posterior; entropy: of the posterior, nats
--   majority_posterior: the posterior of the majority label (NULL without a majority)
--   labels_disagree: the weighted label is not the majority label (true on a tied majority)
--   With var concord_consensus_model_as_labeler the model's predictions are labelers in the EM
--   (includes_model_labeler); the majority label stays human-only.
with

votes as (
    select * from {{ ref('int_agreement__categorical_votes') }}
),

posteriors as (
    select * from {{ ref('int_agreement__dawid_skene') }}
),

human_totals as (
    select
        task_id,
        control_name,
        min(project_id) as project_id,
        min(control_type) as control_type,
        count(*) as n_votes,
        count(distinct labeler_id) as n_annotators
    from votes
    where labeler_kind = 'human'
    group by task_id, control_name
),

-- the majority rule: concord_modal_key over the human votes (a tie for first place has none)
majority as (
    select
        task_id,
        control_name,
        case when n_modal_keys = 1 then modal_key end as majority_label,
        n_modal_keys > 1 as is_majority_tied,
        n_modal as n_with_top_label
    from ({{ concord_modal_key('votes', 'label', "labeler_kind = 'human'") }}) as modal_labels
),

ranked_posteriors as (
    select
        *,
        row_number()
            over (partition by task_id, control_name order by posterior desc, class_key asc)
            as posterior_rank,
        -fsum(case when posterior > 0 then posterior * ln(posterior) else 0 end)
            over (partition by task_id, control_name) as entropy
    from posteriors
),

weighted as (
    select
        task_id,
        control_name,
        class_label as weighted_label,
        posterior as posterior_probability,
        entropy,
        n_iterations,
        is_converged
    from ranked_posteriors
    where posterior_rank = 1
),

final as (
    select
        human_totals.task_id,
        human_totals.control_name,
        human_totals.project_id,
        human_totals.control_type,
        human_totals.n_votes,
        human_totals.n_annotators,
        majority.majority_label,
        majority.is_majority_tied,
        cast(majority.n_with_top_label as double) / human_totals.n_votes as majority_share,
        weighted.weighted_label,
        weighted.posterior_probability,
        majority_posteriors.posterior as majority_posterior,
        weighted.entropy,
        majority.majority_label is null or majority.majority_label <> weighted.weighted_label
            as labels_disagree,
        {{ 'true' if var('concord_consensus_model_as_labeler') else 'false' }} as includes_model_labeler,
        weighted.n_iterations,
        weighted.is_converged
    from human_totals
    inner join majority
        on human_totals.task_id = majority.task_id
        and human_totals.control_name = majority.control_name
    inner join weighted
        on human_totals.task_id = weighted.task_id
        and human_totals.control_name = weighted.control_name
    left join posteriors as majority_posteriors
        on human_totals.task_id = majority_posteriors.task_id
        and human_totals.control_name = majority_posteriors.control_name
        and majority.majority_label = majority_posteriors.class_label
)

select * from final
