-- Anchoring index per (project, annotator, control, score source, score name, model_version).
-- Definition (metric_version anchoring_index_v1), from fct_score_deltas:
--   For annotator a and task t, d(a, t) = mean |human_value - model_score| of a's annotations on t.
--   A task t is shared when at least one other annotator judged the same control on t; there
--   peers(a, t) = mean of d(b, t) over the other annotators b != a.
--   anchoring_index(a) = mean over shared tasks of ( d(a, t) - peers(a, t) ).
--   Negative: a's judgments sit closer to the model score than their peers' on the same tasks
--   (a tracks the model); positive: further away. Null when a has fewer than
--   var model_eval_anchoring_min_shared_tasks shared tasks (n_shared_tasks says how many).
--   is_anchoring_flagged: anchoring_index <= -var model_eval_anchoring_flag_threshold.
with

deltas as (
    select * from {{ ref('fct_score_deltas') }}
),

per_annotator_task as (
    select
        project_id,
        annotator_id,
        task_id,
        control_name,
        score_source,
        score_name,
        model_version,
        favg(abs_delta) as own_abs_delta,
        max(case when is_exposed then 1 else 0 end) as is_exposed_on_task
    from deltas
    group by project_id, annotator_id, task_id, control_name, score_source, score_name, model_version
),

with_peers as (
    select
        *,
        count(*)
            over (partition by task_id, control_name, score_source, score_name, model_version)
            as n_annotators_on_task,
        fsum(own_abs_delta)
            over (partition by task_id, control_name, score_source, score_name, model_version)
            as total_abs_delta
    from per_annotator_task
),

shared as (
    select
        *,
        (total_abs_delta - own_abs_delta) / (n_annotators_on_task - 1) as peer_abs_delta
    from with_peers
    where n_annotators_on_task >= 2
),

all_tasks as (
    select
        project_id,
        annotator_id,
        control_name,
        score_source,
        score_name,
        model_version,
        count(*) as n_tasks,
        sum(is_exposed_on_task) as n_exposed_tasks,
        favg(own_abs_delta) as mean_abs_delta_all_tasks
    from per_annotator_task
    group by project_id, annotator_id, control_name, score_source, score_name, model_version
),

shared_summary as (
    select
        project_id,
        annotator_id,
        control_name,
        score_source,
        score_name,
        model_version,
        count(*) as n_shared_tasks,
        favg(own_abs_delta) as own_mean_abs_delta,
        favg(peer_abs_delta) as peer_mean_abs_delta,
        favg(own_abs_delta - peer_abs_delta) as raw_index
    from shared
    group by project_id, annotator_id, control_name, score_source, score_name, model_version
),

indexed as (
    select
        all_tasks.project_id,
        all_tasks.annotator_id,
        all_tasks.control_name,
        all_tasks.score_source,
        all_tasks.score_name,
        all_tasks.model_version,
        all_tasks.n_tasks,
        all_tasks.n_exposed_tasks,
        coalesce(shared_summary.n_shared_tasks, 0) as n_shared_tasks,
        all_tasks.mean_abs_delta_all_tasks,
        shared_summary.own_mean_abs_delta,
        shared_summary.peer_mean_abs_delta,
        case
            when
                coalesce(shared_summary.n_shared_tasks, 0)
                >= {{ var('model_eval_anchoring_min_shared_tasks') }}
                then shared_summary.raw_index
        end as anchoring_index,
        'anchoring_index_v1' as metric_version
    from all_tasks
    left join shared_summary
        on all_tasks.project_id = shared_summary.project_id
        and all_tasks.annotator_id = shared_summary.annotator_id
        and all_tasks.control_name = shared_summary.control_name
        and all_tasks.score_source = shared_summary.score_source
        and all_tasks.score_name = shared_summary.score_name
        and all_tasks.model_version = shared_summary.model_version
),

flagged as (
    select
        *,
        coalesce(
            {{ concord_compare('anchoring_index', '<=', -var('model_eval_anchoring_flag_threshold')) }},
            false
        )
            as is_anchoring_flagged
    from indexed
)

select * from flagged
