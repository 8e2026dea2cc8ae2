-- One row per (task, scalar control, model score): the human consensus (int_model_eval__human_consensus)
-- against the model score, plus the largest single-annotation divergence on the task.
-- metric_version: score_delta_v1 (delta = model_score - consensus_value)
with

consensus as (
    select * from {{ ref('int_model_eval__human_consensus') }}
),

annotation_deltas as (
    select * from {{ ref('fct_score_deltas') }}
),

per_task as (
    select
        task_id,
        control_name,
        score_source,
        score_name,
        model_version,
        min(project_id) as project_id,
        min(model_score) as model_score,
        count(*) as n_annotation_deltas,
        max(abs_delta) as max_annotation_abs_delta,
        favg(abs_delta) as mean_annotation_abs_delta
    from annotation_deltas
    group by task_id, control_name, score_source, score_name, model_version
),

task_deltas as (
    select
        per_task.task_id,
        per_task.control_name,
        per_task.score_source,
        per_task.score_name,
        per_task.model_version,
        per_task.project_id,
        consensus.control_type,
        consensus.n_judgments,
        consensus.consensus_key,
        consensus.consensus_share,
        consensus.consensus_value,
        per_task.model_score,
        per_task.model_score - consensus.consensus_value as signed_delta,
        abs(per_task.model_score - consensus.consensus_value) as abs_delta,
        per_task.n_annotation_deltas,
        per_task.max_annotation_abs_delta,
        per_task.mean_annotation_abs_delta,
        'score_delta_v1' as metric_version
    from per_task
    inner join consensus
        on per_task.task_id = consensus.task_id
        and per_task.control_name = consensus.control_name
)

select * from task_deltas
