-- One row per (project, categorical control, labeler): the labeler's Dawid-Skene confusion matrix
-- (the M-step of the final posteriors, as crowd-kit's errors_) and the accuracy it implies
-- (docs/agreement.md, "Dawid-Skene").
--   estimated_accuracy: sum over classes c of prior(c) * P(label c | true class c): the chance
--     the labeler gives the true label on a task drawn from the estimated class priors
--   confusion_matrix_json: {true class: {label given: probability}}, rows sum to 1; labels the
--     labeler never gave are absent (probability 0). Probabilities rounded to 12 decimals: the
--     EM's parallel sums vary in their last bits from build to build, and the text should not
--   agreement_with_weighted_label: share of the labeler's votes equal to the task's weighted label
--   labeler_kind 'model': a prediction labeler (var concord_consensus_model_as_labeler), reported
--     beside the annotators, never mixed into their rows
with

votes as (
    select * from {{ ref('int_agreement__categorical_votes') }}
),

posteriors as (
    select * from {{ ref('int_agreement__dawid_skene') }}
),

errors as (
    {{ ds_m_step(ref('int_agreement__categorical_votes'), ref('int_agreement__dawid_skene')) }}
),

priors as (
    {{ ds_priors(ref('int_agreement__dawid_skene')) }}
),

-- narrow: key names
labelers as (
    select distinct
        worker_key,
        labeler_id,
        labeler_kind
    from votes
),

labels as (
    select distinct
        dataset_id,
        project_id,
        control_name,
        label_key,
        label
    from votes
),

weighted_labels as (
    select
        task_id,
        control_name,
        class_label as weighted_label
    from (
        select
            *,
            row_number()
                over (partition by task_id, control_name order by posterior desc, class_key asc)
                as posterior_rank
        from posteriors
    ) as ranked
    where posterior_rank = 1
),

vote_counts as (
    select
        votes.dataset_id,
        votes.worker_key,
        count(*) as n_votes,
        count(distinct votes.task_id) as n_tasks,
        favg(case when votes.label = weighted_labels.weighted_label then 1.0 else 0.0 end)
            as agreement_with_weighted_label
    from votes
    inner join weighted_labels
        on votes.task_id = weighted_labels.task_id
        and votes.control_name = weighted_labels.control_name
    group by votes.dataset_id, votes.worker_key
),

accuracy as (
    select
        errors.dataset_id,
        errors.worker_key,
        fsum(
            case
                when errors.label_key = errors.class_key then errors.error_probability * priors.prior else 0
            end
        )
            as estimated_accuracy
    from errors
    inner join priors
        on errors.dataset_id = priors.dataset_id
        and errors.class_key = priors.class_key
    group by errors.dataset_id, errors.worker_key
),

matrix_rows as (
    select
        errors.dataset_id,
        errors.worker_key,
        true_labels.label as true_label,
        '{'
        || string_agg(
            to_json(given_labels.label) || ':' || to_json(round(errors.error_probability, 12)),
            ',' order by given_labels.label
        )
        || '}'
            as row_json
    from errors
    inner join labels as true_labels
        on errors.dataset_id = true_labels.dataset_id
        and errors.class_key = true_labels.label_key
    inner join labels as given_labels
        on errors.dataset_id = given_labels.dataset_id
        and errors.label_key = given_labels.label_key
    group by errors.dataset_id, errors.worker_key, true_labels.label
),

matrices as (
    select
        dataset_id,
        worker_key,
        '{' || string_agg(to_json(true_label) || ':' || row_json, ',' order by true_label) || '}'
            as confusion_matrix_json
    from matrix_rows
    group by dataset_id, worker_key
),

datasets as (
    select distinct
        dataset_id,
        project_id,
        control_name
    from labels
),

final as (
    select
        datasets.project_id,
        datasets.control_name,
        labelers.labeler_id,
        labelers.labeler_kind,
        vote_counts.n_votes,
        vote_counts.n_tasks,
        accuracy.estimated_accuracy,
        vote_counts.agreement_with_weighted_label,
        matrices.confusion_matrix_json
    from accuracy
    inner join datasets
        on accuracy.dataset_id = datasets.dataset_id
    inner join labelers
        on accuracy.worker_key = labelers.worker_key
    inner join vote_counts
        on accuracy.dataset_id = vote_counts.dataset_id
        and accuracy.worker_key = vote_counts.worker_key
    inner join matrices
        on accuracy.dataset_id = matrices.dataset_id
        and accuracy.worker_key = matrices.worker_key
)

select * from final
