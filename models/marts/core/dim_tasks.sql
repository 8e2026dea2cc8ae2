-- One row per Label Studio task (deleted ones flagged): what an analyst joins a fact's task_id to,
-- instead of reading staging. Annotation counts are of this warehouse's annotations (submitted
-- and skipped), next to the counters Label Studio itself wrote into the task.

with

tasks as (
    select * from {{ ref('stg_label_studio__tasks') }}
),

annotations as (
    select * from {{ ref('stg_label_studio__annotations') }}
),

annotation_counts as (
    select
        task_id,
        count(*) filter (where not is_cancelled) as n_submitted_annotations,
        count(*) filter (where is_cancelled) as n_skipped_annotations,
        count(distinct annotator_id) filter (where not is_cancelled) as n_annotators,
        bool_or(is_ground_truth and not is_cancelled) as has_ground_truth,
        max(updated_at) as last_annotated_at
    from annotations
    group by task_id
),

tasks_with_counts as (
    select
        tasks.task_id,
        tasks.project_id,
        tasks.inner_id,
        tasks.ext_id,
        tasks.source_format,
        tasks.load_id,
        tasks.score_field,
        tasks.data_json,
        tasks.meta_json,
        tasks.data_score,
        coalesce(annotation_counts.n_submitted_annotations, 0) as n_submitted_annotations,
        coalesce(annotation_counts.n_skipped_annotations, 0) as n_skipped_annotations,
        coalesce(annotation_counts.n_annotators, 0) as n_annotators,
        tasks.total_annotations,
        tasks.cancelled_annotations,
        tasks.total_predictions,
        coalesce(annotation_counts.has_ground_truth, false) as has_ground_truth,
        tasks.is_deleted,
        tasks.created_at,
        tasks.updated_at,
        annotation_counts.last_annotated_at,
        tasks.deleted_at,
        tasks.loaded_at
    from tasks
    left join annotation_counts
        on tasks.task_id = annotation_counts.task_id
)

select * from tasks_with_counts
