-- One row per task whose weighted labels differ from its majority labels: weighted_labels_json,
-- labels_json with the Dawid-Skene weighted label as consensus_value where the control has one
-- (`concord extract --label weighted`, var concord_extract_label). Tasks where every weighted
-- label equals the majority consensus have no row: their weighted object IS labels_json, and
-- fct_training_candidates falls back to it. A model of its own, and only the differing tasks,
-- for memory: each object is a window over every control of every task, and at 1M tasks a second
-- full set of objects (built or joined) did not fit the default 600MB.
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
        weighted_label
    from {{ ref('fct_training_candidates_by_control') }}
),

flagged as (
    select
        *,
        bool_or(weighted_label is not null and weighted_label is distinct from consensus_value)
            over (partition by task_id) as task_differs
    from by_control
),

control_labels as (
    select
        task_id,
        {{ training_labels_object('coalesce(weighted_label, consensus_value)') }}
            as weighted_labels_json,
        row_number() over (partition by task_id order by control_name) as control_rank
    from flagged
    where task_differs
),

task_weighted_labels as (
    select
        task_id,
        weighted_labels_json
    from control_labels
    where control_rank = 1
)

select * from task_weighted_labels
