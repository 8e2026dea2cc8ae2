-- One row per (project, annotator, control): how the annotator agrees with the other annotators
-- (mean of their pair agreements) and with the task's ground-truth annotation where one exists,
-- plus activity (submitted and skipped annotations, median lead time).
with

annotations as (
    select * from {{ ref('stg_label_studio__annotations') }}
),

judgment_values as (
    select * from {{ ref('int_agreement__judgment_values') }}
    where judgment_kind = 'annotation'
),

judgments as (
    select * from {{ ref('int_agreement__judgments') }}
    where judgment_kind = 'annotation'
),

control_settings as (
    select * from {{ ref('int_agreement__control_settings') }}
    where is_scored
),

pairs as (
    select * from {{ ref('int_agreement__judgment_pairs_scored') }}
    where pair_kind = 'human_human'
),

-- each pair seen from both annotators' side
pair_sides as (
    select
        project_id,
        control_name,
        annotator_id_a as annotator_id,
        annotation_id_a as annotation_id,
        is_ground_truth_a as is_own_ground_truth,
        is_ground_truth_b as is_other_ground_truth,
        agreement
    from pairs
    union all
    select
        project_id,
        control_name,
        annotator_id_b as annotator_id,
        annotation_id_b as annotation_id,
        is_ground_truth_b as is_own_ground_truth,
        is_ground_truth_a as is_other_ground_truth,
        agreement
    from pairs
),

pair_stats as (
    select
        project_id,
        control_name,
        annotator_id,
        count(*) as n_pairs,
        favg(agreement) as agreement_with_others,
        count(case when is_other_ground_truth and not is_own_ground_truth then 1 end) as n_ground_truth_pairs,
        favg(case when is_other_ground_truth and not is_own_ground_truth then agreement end)
            as agreement_with_ground_truth
    from pair_sides
    group by project_id, control_name, annotator_id
),

answered as (
    select
        judgment_values.project_id,
        judgment_values.control_name,
        judgments.annotator_id,
        count(*) as n_annotations_with_control
    from judgment_values
    inner join judgments
        on judgment_values.judgment_id = judgments.judgment_id
    group by judgment_values.project_id, judgment_values.control_name, judgments.annotator_id
),

annotator_activity as (
    select
        project_id,
        annotator_id,
        count(case when not coalesce(is_cancelled, false) then 1 end) as n_annotations,
        count(case when coalesce(is_cancelled, false) then 1 end) as n_skipped,
        {{ concord_median('case when not coalesce(is_cancelled, false) then lead_time_seconds end') }}
            as median_lead_time_seconds
    from annotations
    group by project_id, annotator_id
),

annotator_controls as (
    select distinct
        annotator_activity.project_id,
        annotator_activity.annotator_id,
        control_settings.control_name
    from annotator_activity
    inner join control_settings
        on annotator_activity.project_id = control_settings.project_id
),

final as (
    select
        annotator_controls.project_id,
        annotator_controls.annotator_id,
        annotator_controls.control_name,
        annotator_activity.n_annotations,
        annotator_activity.n_skipped,
        coalesce(answered.n_annotations_with_control, 0) as n_annotations_with_control,
        annotator_activity.median_lead_time_seconds,
        coalesce(pair_stats.n_pairs, 0) as n_pairs,
        pair_stats.agreement_with_others,
        coalesce(pair_stats.n_ground_truth_pairs, 0) as n_ground_truth_pairs,
        pair_stats.agreement_with_ground_truth
    from annotator_controls
    inner join annotator_activity
        on annotator_controls.project_id = annotator_activity.project_id
        and annotator_controls.annotator_id = annotator_activity.annotator_id
    left join answered
        on annotator_controls.project_id = answered.project_id
        and annotator_controls.control_name = answered.control_name
        and annotator_controls.annotator_id = answered.annotator_id
    left join pair_stats
        on annotator_controls.project_id = pair_stats.project_id
        and annotator_controls.control_name = pair_stats.control_name
        and annotator_controls.annotator_id = pair_stats.annotator_id
)

select * from final
