-- One row per judgment: a submitted (not skipped) human annotation or a model prediction, on a
-- non-deleted task. Drafts are never judgments. Every agreement score compares two judgments.
-- incremental by task (docs/incremental.md): every per-task input goes through only_changed_tasks
-- depends_on: {{ ref('int_agreement__changed_tasks') }}, {{ ref('int_agreement__task_digests') }}
with

tasks as (
    select * from {{ ref('stg_label_studio__tasks') }}
    {{ concord.only_changed_tasks() }}
),

annotations as (
    select * from {{ ref('stg_label_studio__annotations') }}
    {{ concord.only_changed_tasks() }}
),

predictions as (
    select * from {{ ref('stg_label_studio__predictions') }}
    {{ concord.only_changed_tasks() }}
),

annotation_judgments as (
    select
        'annotation:' || cast(annotations.annotation_id as {{ dbt.type_string() }}) as judgment_id,
        'annotation' as judgment_kind,
        -- integer surrogate of judgment_id for joins: even = annotation, odd = prediction
        annotations.annotation_id * 2 as judgment_key,
        annotations.annotation_id,
        cast(null as bigint) as prediction_id,
        annotations.task_id,
        annotations.project_id,
        annotations.annotator_id,
        cast(null as {{ dbt.type_string() }}) as model_version,
        annotations.lead_time_seconds,
        coalesce(annotations.is_ground_truth, false) as is_ground_truth
    from annotations
    inner join tasks
        on annotations.task_id = tasks.task_id
    where
        not coalesce(annotations.is_cancelled, false)
        and not coalesce(tasks.is_deleted, false)
),

prediction_judgments as (
    select
        'prediction:' || cast(predictions.prediction_id as {{ dbt.type_string() }}) as judgment_id,
        'prediction' as judgment_kind,
        predictions.prediction_id * 2 + 1 as judgment_key,
        cast(null as bigint) as annotation_id,
        predictions.prediction_id,
        predictions.task_id,
        predictions.project_id,
        cast(null as bigint) as annotator_id,
        predictions.model_version,
        cast(null as double) as lead_time_seconds,
        false as is_ground_truth
    from predictions
    inner join tasks
        on predictions.task_id = tasks.task_id
    where not coalesce(tasks.is_deleted, false)
),

judgments as (
    select * from annotation_judgments
    union all
    select * from prediction_judgments
)

select * from judgments
