-- One row per (task, control, judgment a, judgment b): every pair of judgments on a task scored
-- with the control's metric. pair_kind 'human_human': two submitted annotations (a = the lower
-- annotation id); 'model_human': a = a prediction, b = an annotation. A control present in one
-- judgment of the pair and absent in the other scores 0; absent in both, the pair is not listed
-- for that control. All metrics are symmetric (s(a, b) = s(b, a)); a metric that is not must be
-- symmetrised here with min(s(a, b), s(b, a)).
with

judgments as (
    select * from {{ ref('int_agreement_judgments') }}
),

judgment_values as (
    select * from {{ ref('int_agreement_judgment_values') }}
),

regions as (
    select * from {{ ref('int_agreement_judgment_regions') }}
),

control_settings as (
    select * from {{ ref('int_agreement_control_settings') }}
    where is_scored
),

{%- set side_columns = ['judgment_id', 'judgment_kind', 'annotation_id', 'prediction_id', 'annotator_id', 'model_version', 'is_ground_truth'] %}

judgment_pairs as (
    select
        'human_human' as pair_kind,
        judgment_a.task_id,
        judgment_a.project_id,
        {%- for column in side_columns %}
        judgment_a.{{ column }} as {{ column }}_a,
        judgment_b.{{ column }} as {{ column }}_b,
        {%- endfor %}
    from judgments as judgment_a
    inner join judgments as judgment_b
        on judgment_a.task_id = judgment_b.task_id
        and judgment_a.annotation_id < judgment_b.annotation_id
    where judgment_a.judgment_kind = 'annotation'
        and judgment_b.judgment_kind = 'annotation'
    union all
    select
        'model_human' as pair_kind,
        judgment_a.task_id,
        judgment_a.project_id,
        {%- for column in side_columns %}
        judgment_a.{{ column }} as {{ column }}_a,
        judgment_b.{{ column }} as {{ column }}_b,
        {%- endfor %}
    from judgments as judgment_a
    inner join judgments as judgment_b
        on judgment_a.task_id = judgment_b.task_id
    where judgment_a.judgment_kind = 'prediction'
        and judgment_b.judgment_kind = 'annotation'
),

pair_control_names as (
    select judgment_pairs.judgment_id_a, judgment_pairs.judgment_id_b, judgment_values.control_name,
    from judgment_pairs
    inner join judgment_values
        on judgment_pairs.judgment_id_a = judgment_values.judgment_id
    union
    select judgment_pairs.judgment_id_a, judgment_pairs.judgment_id_b, judgment_values.control_name,
    from judgment_pairs
    inner join judgment_values
        on judgment_pairs.judgment_id_b = judgment_values.judgment_id
),

pair_controls as (
    select
        judgment_pairs.*,
        pair_control_names.control_name,
        control_settings.control_type,
        control_settings.metric_name,
        control_settings.metric_version,
        control_settings.threshold,
        control_settings.scale_min,
        control_settings.scale_max,
        control_settings.is_region_metric,
        judgment_pairs.judgment_id_a || '|' || judgment_pairs.judgment_id_b || '|'
            || pair_control_names.control_name as pair_control_id,
    from judgment_pairs
    inner join pair_control_names
        on judgment_pairs.judgment_id_a = pair_control_names.judgment_id_a
        and judgment_pairs.judgment_id_b = pair_control_names.judgment_id_b
    inner join control_settings
        on judgment_pairs.project_id = control_settings.project_id
        and pair_control_names.control_name = control_settings.control_name
),

region_pair_controls as (
    select
        pair_controls.pair_control_id,
        pair_controls.judgment_id_a,
        pair_controls.judgment_id_b,
        pair_controls.control_name,
    from pair_controls
    inner join judgment_values as values_a
        on pair_controls.judgment_id_a = values_a.judgment_id
        and pair_controls.control_name = values_a.control_name
    inner join judgment_values as values_b
        on pair_controls.judgment_id_b = values_b.judgment_id
        and pair_controls.control_name = values_b.control_name
    where pair_controls.is_region_metric
),

-- every same-label region pair of the two judgments, with its IoU
region_matches as (
    select
        region_pair_controls.pair_control_id,
        region_a.region_index as region_index_a,
        region_b.region_index as region_index_b,
        region_pair_controls.pair_control_id || '|' || cast(region_a.region_index as {{ dbt.type_string() }})
            || '|' || cast(region_b.region_index as {{ dbt.type_string() }}) as box_pair_id,
        region_a.span_start is not null and region_b.span_start is not null as is_span_pair,
        region_a.rect_rotation = 0 and region_b.rect_rotation = 0 as is_axis_aligned,
        region_a.rect_width_px is not null and region_b.rect_width_px is not null as has_pixels,
        {{ metric_span_iou('region_a.span_start', 'region_a.span_end', 'region_b.span_start', 'region_b.span_end') }} as span_iou,
        {{ metric_box_iou_axis_aligned(
            'region_a.rect_x', 'region_a.rect_y', 'region_a.rect_width', 'region_a.rect_height',
            'region_b.rect_x', 'region_b.rect_y', 'region_b.rect_width', 'region_b.rect_height',
        ) }} as axis_aligned_box_iou,
        -- rotated boxes are intersected in pixels when both sides know the image size
        case when region_a.rect_width_px is not null and region_b.rect_width_px is not null
            then region_a.rect_x_px else region_a.rect_x end as a_x,
        case when region_a.rect_width_px is not null and region_b.rect_width_px is not null
            then region_a.rect_y_px else region_a.rect_y end as a_y,
        case when region_a.rect_width_px is not null and region_b.rect_width_px is not null
            then region_a.rect_width_px else region_a.rect_width end as a_w,
        case when region_a.rect_width_px is not null and region_b.rect_width_px is not null
            then region_a.rect_height_px else region_a.rect_height end as a_h,
        region_a.rect_rotation as a_rotation,
        case when region_a.rect_width_px is not null and region_b.rect_width_px is not null
            then region_b.rect_x_px else region_b.rect_x end as b_x,
        case when region_a.rect_width_px is not null and region_b.rect_width_px is not null
            then region_b.rect_y_px else region_b.rect_y end as b_y,
        case when region_a.rect_width_px is not null and region_b.rect_width_px is not null
            then region_b.rect_width_px else region_b.rect_width end as b_w,
        case when region_a.rect_width_px is not null and region_b.rect_width_px is not null
            then region_b.rect_height_px else region_b.rect_height end as b_h,
        region_b.rect_rotation as b_rotation,
    from region_pair_controls
    inner join regions as region_a
        on region_pair_controls.judgment_id_a = region_a.judgment_id
        and region_pair_controls.control_name = region_a.control_name
    inner join regions as region_b
        on region_pair_controls.judgment_id_b = region_b.judgment_id
        and region_pair_controls.control_name = region_b.control_name
        and region_a.label_key = region_b.label_key
),

rotated_box_pairs as (
    select * from region_matches
    where not is_span_pair and not is_axis_aligned
),

rotated_box_intersections as (
    {{ agreement_rotated_box_intersections('rotated_box_pairs') }}
),

region_ious as (
    select
        region_matches.pair_control_id,
        region_matches.region_index_a,
        region_matches.region_index_b,
        case
            when region_matches.is_span_pair then region_matches.span_iou
            when region_matches.is_axis_aligned then region_matches.axis_aligned_box_iou
            -- clamped: floating point can put identical rotated boxes a hair above 1
            else least(1.0, greatest(0.0, rotated_box_intersections.intersection_area / nullif(
                region_matches.a_w * region_matches.a_h + region_matches.b_w * region_matches.b_h
                - rotated_box_intersections.intersection_area,
                0
            )))
        end as iou,
    from region_matches
    left join rotated_box_intersections
        on region_matches.box_pair_id = rotated_box_intersections.box_pair_id
),

best_for_regions_of_a as (
    select pair_control_id, region_index_a, max(iou) as best_iou,
    from region_ious
    group by pair_control_id, region_index_a
),

best_for_regions_of_b as (
    select pair_control_id, region_index_b, max(iou) as best_iou,
    from region_ious
    group by pair_control_id, region_index_b
),

sum_best_a as (
    select pair_control_id, sum(best_iou) as sum_best_iou,
    from best_for_regions_of_a
    group by pair_control_id
),

sum_best_b as (
    select pair_control_id, sum(best_iou) as sum_best_iou,
    from best_for_regions_of_b
    group by pair_control_id
),

region_scores as (
    select
        region_pair_controls.pair_control_id,
        sum_best_a.sum_best_iou as sum_best_a,
        sum_best_b.sum_best_iou as sum_best_b,
    from region_pair_controls
    left join sum_best_a
        on region_pair_controls.pair_control_id = sum_best_a.pair_control_id
    left join sum_best_b
        on region_pair_controls.pair_control_id = sum_best_b.pair_control_id
),

scored as (
    select
        pair_controls.*,
        values_a.judgment_id is not null as is_present_a,
        values_b.judgment_id is not null as is_present_b,
        case
            when values_a.judgment_id is null or values_b.judgment_id is null then 0.0
            when pair_controls.metric_name in ('exact_match', 'taxonomy_exact')
                then {{ metric_exact_match('values_a.value_key', 'values_b.value_key') }}
            when pair_controls.metric_name = 'choices_jaccard'
                then {{ metric_jaccard('values_a.choice_set', 'values_b.choice_set') }}
            when pair_controls.metric_name = 'numeric_difference'
                then {{ metric_numeric_difference('values_a.number_value', 'values_b.number_value') }}
            when pair_controls.metric_name = 'numeric_scaled'
                then {{ metric_numeric_scaled('values_a.number_value', 'values_b.number_value', 'pair_controls.scale_min', 'pair_controls.scale_max') }}
            when pair_controls.metric_name = 'text_levenshtein'
                then {{ metric_text_levenshtein('values_a.text_lines', 'values_b.text_lines') }}
            when pair_controls.metric_name = 'ranker_kendall_tau'
                then {{ metric_ranker_kendall_tau('values_a.ranker_order', 'values_b.ranker_order') }}
            when pair_controls.metric_name = 'taxonomy_jaccard'
                then {{ metric_jaccard('values_a.taxonomy_path_keys', 'values_b.taxonomy_path_keys') }}
            when pair_controls.metric_name = 'taxonomy_common_subtree'
                then {{ metric_jaccard('values_a.taxonomy_node_keys', 'values_b.taxonomy_node_keys') }}
            when pair_controls.is_region_metric
                then {{ metric_region_match_mean('region_scores.sum_best_a', 'region_scores.sum_best_b', 'values_a.n_regions', 'values_b.n_regions') }}
        end as score,
    from pair_controls
    left join judgment_values as values_a
        on pair_controls.judgment_id_a = values_a.judgment_id
        and pair_controls.control_name = values_a.control_name
    left join judgment_values as values_b
        on pair_controls.judgment_id_b = values_b.judgment_id
        and pair_controls.control_name = values_b.control_name
    left join region_scores
        on pair_controls.pair_control_id = region_scores.pair_control_id
),

final as (
    select
        task_id,
        project_id,
        control_name,
        control_type,
        pair_kind,
        {%- for column in side_columns %}
        {{ column }}_a,
        {%- endfor %}
        {%- for column in side_columns %}
        {{ column }}_b,
        {%- endfor %}
        is_present_a,
        is_present_b,
        score,
        threshold,
        {{ metric_threshold('score', 'threshold') }} as agreement,
        metric_name,
        metric_version,
    from scored
)

select * from final
