-- One row per (task, control) that at least one submitted annotation of the task answered:
-- mean pairwise agreement over the task's annotation pairs (NULL when there is no pair: a single
-- annotation never scores 1.0) and the annotators' consensus (majority value / median number).
with

judgments as (
    select * from {{ ref('int_agreement__judgments') }}
    where judgment_kind = 'annotation'
),

-- narrow: referenced more than once, so DuckDB materialises it (the value lists stay out)
judgment_values as (
    select
        task_id,
        project_id,
        control_name,
        number_value,
        value_key
    from {{ ref('int_agreement__judgment_values') }}
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

task_annotation_counts as (
    select
        task_id,
        count(*) as n_annotations
    from judgments
    group by task_id
),

-- the median by rank (concord_grouped_median: a median() aggregate's per-group states cannot
-- spill with millions of (task, control) groups)
task_medians as (
    {{ concord_grouped_median(
        'judgment_values', ['task_id', 'control_name'], 'number_value', 'median_number'
    ) }}
),

task_control_counts as (
    select
        judgment_values.task_id,
        judgment_values.project_id,
        judgment_values.control_name,
        count(*) as n_annotations_with_control
    from judgment_values
    inner join control_settings
        on judgment_values.project_id = control_settings.project_id
        and judgment_values.control_name = control_settings.control_name
    group by judgment_values.task_id, judgment_values.project_id, judgment_values.control_name
),

task_controls as (
    select
        task_control_counts.*,
        task_medians.median_number
    from task_control_counts
    left join task_medians
        on task_control_counts.task_id = task_medians.task_id
        and task_control_counts.control_name = task_medians.control_name
),

pair_stats as (
    select
        task_id,
        control_name,
        count(*) as n_pairs,
        favg(agreement) as agreement,
        min(agreement) as min_pair_agreement
    from pairs
    group by task_id, control_name
),

-- the majority rule: concord_modal_key (a tie for first place has no majority)
majority_values as (
    select
        task_id,
        control_name,
        modal_key as majority_value,
        n_modal as n_with_majority_value,
        n_modal_keys > 1 as is_majority_tied
    from ({{ concord_modal_key('judgment_values', 'value_key') }}) as modal_values
),

median_matches as (
    select
        judgment_values.task_id,
        judgment_values.control_name,
        count(*) as n_equal_to_median
    from judgment_values
    inner join task_controls
        on judgment_values.task_id = task_controls.task_id
        and judgment_values.control_name = task_controls.control_name
    where judgment_values.number_value = task_controls.median_number
    group by judgment_values.task_id, judgment_values.control_name
),

final as (
    select
        task_controls.task_id,
        task_controls.control_name,
        task_controls.project_id,
        control_settings.control_type,
        control_settings.metric_name,
        control_settings.metric_version,
        control_settings.threshold,
        control_settings.weight,
        task_annotation_counts.n_annotations,
        task_controls.n_annotations_with_control,
        coalesce(pair_stats.n_pairs, 0) as n_pairs,
        pair_stats.agreement,
        pair_stats.min_pair_agreement,
        case
            when control_settings.control_type in ('rating', 'number')
                then cast(task_controls.median_number as {{ dbt.type_string() }})
            -- a tie for the most frequent value has no majority: no consensus value
            when not majority_values.is_majority_tied then majority_values.majority_value
        end as consensus_value,
        case
            when control_settings.control_type in ('rating', 'number') then task_controls.median_number
        end as consensus_number,
        case
            when control_settings.control_type in ('rating', 'number')
                then
                    cast(coalesce(median_matches.n_equal_to_median, 0) as double)
                    / task_annotation_counts.n_annotations
            when majority_values.majority_value is not null
                then
                    cast(majority_values.n_with_majority_value as double)
                    / task_annotation_counts.n_annotations
        end as consensus_share,
        coalesce(majority_values.is_majority_tied, false)
        and control_settings.control_type not in ('rating', 'number') as is_consensus_tied
    from task_controls
    inner join control_settings
        on task_controls.project_id = control_settings.project_id
        and task_controls.control_name = control_settings.control_name
    inner join task_annotation_counts
        on task_controls.task_id = task_annotation_counts.task_id
    left join pair_stats
        on task_controls.task_id = pair_stats.task_id
        and task_controls.control_name = pair_stats.control_name
    left join majority_values
        on task_controls.task_id = majority_values.task_id
        and task_controls.control_name = majority_values.control_name
    left join median_matches
        on task_controls.task_id = median_matches.task_id
        and task_controls.control_name = median_matches.control_name
)

select * from final
