-- One row per task that has a candidate control: labels_json (the majority consensus per control,
-- training_labels_object) and the task's lowest agreement and posteriors. Its own model, apart
-- from int_training__task_weighted_labels: each JSON object is a window over every control of
-- every task, and two in one query held both in memory at once (fct_training_candidates ran out
-- of memory at 1M tasks under the default 600MB); one per query fits.
with

by_control as (
    select
        task_id,
        control_name,
        consensus_value,
        agreement,
        agreement_metric,
        n_annotations,
        ground_truth_value,
        model_label,
        model_score,
        human_model_delta,
        weighted_label,
        weighted_posterior,
        majority_posterior
    from {{ ref('fct_training_candidates_by_control') }}
),

control_labels as (
    select
        task_id,
        {{ training_labels_object('consensus_value') }} as labels_json,
        min(agreement) over (partition by task_id) as min_agreement,
        -- lowest posterior of the extracted label over the task's categorical controls (no
        -- majority counts 0); NULL when the task has no categorical control
        min(case when weighted_label is not null then coalesce(majority_posterior, 0) end)
            over (partition by task_id) as min_majority_posterior,
        min(weighted_posterior) over (partition by task_id) as min_weighted_posterior,
        row_number() over (partition by task_id order by control_name) as control_rank
    from by_control
),

task_labels as (
    select
        task_id,
        labels_json,
        min_agreement,
        min_majority_posterior,
        min_weighted_posterior
    from control_labels
    where control_rank = 1
)

select * from task_labels
