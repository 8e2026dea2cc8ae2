-- One row per (task, control, pair of submitted annotations): the human-human part of
-- int_agreement__judgment_pairs_scored (annotation_id_a < annotation_id_b).
with

pairs as (
    select * from {{ ref('int_agreement__judgment_pairs_scored') }}
    where pair_kind = 'human_human'
),

final as (
    select
        task_id,
        control_name,
        annotation_id_a,
        annotation_id_b,
        project_id,
        control_type,
        annotator_id_a,
        annotator_id_b,
        metric_name,
        metric_version,
        score,
        threshold,
        agreement,
        is_present_a,
        is_present_b,
        is_ground_truth_a,
        is_ground_truth_b
    from pairs
)

select * from final
