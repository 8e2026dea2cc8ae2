-- One row per annotator (Label Studio user id) seen in any annotation: what an analyst joins a
-- fact's annotator_id to, instead of reading staging. Annotations that carry only an email
-- (snapshot JSON_MIN exports) have no annotator_id and no row here.

with

annotations as (
    select * from {{ ref('stg_label_studio__annotations') }}
),

annotators as (
    select
        annotator_id,
        -- the email of the annotator's latest annotation that names one
        arg_max(annotator_email, updated_at) filter (where annotator_email is not null)
            as annotator_email,
        count(distinct project_id) as n_projects,
        count(distinct task_id) filter (where not is_cancelled) as n_tasks,
        count(*) filter (where not is_cancelled) as n_submitted_annotations,
        count(*) filter (where is_cancelled) as n_skipped_annotations,
        count(*) filter (where is_ground_truth and not is_cancelled) as n_ground_truth_annotations,
        min(created_at) as first_annotated_at,
        max(updated_at) as last_annotated_at
    from annotations
    where annotator_id is not null
    group by annotator_id
)

select * from annotators
