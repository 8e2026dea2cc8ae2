-- One row per (task, control, judgment a, judgment b): every pair of judgments on a task scored
-- with the control's metric. pair_kind 'human_human': two submitted annotations (a = the lower
-- annotation id); 'model_human': a = a prediction, b = an annotation. A control present in one
-- judgment of the pair and absent in the other scores 0; absent in both, the pair is not listed
-- for that control. All metrics are symmetric (s(a, b) = s(b, a)); a metric that is not must be
-- symmetrised here with min(s(a, b), s(b, a)).
{%- set side_columns = [
    'judgment_id', 'judgment_kind', 'annotation_id', 'prediction_id', 'annotator_id', 'model_version',
    'is_ground_truth',
] %}
{%- set value_columns = [
    'value_key', 'choice_set', 'number_value', 'text_lines', 'ranker_order', 'taxonomy_path_keys',
    'taxonomy_node_keys', 'n_regions',
] %}
{%- set pair_keys = ['judgment_key_a', 'judgment_key_b', 'control_name'] %}

-- incremental by task (docs/incremental.md): every per-task input goes through only_changed_tasks
-- depends_on: {{ ref('int_agreement__changed_tasks') }}, {{ ref('int_agreement__task_digests') }}
with

judgments as (
    select * from {{ ref('int_agreement__judgments') }}
    {{ concord.only_changed_tasks() }}
),

-- which judgment answered which control (narrow: it goes through the pair joins)
judgment_controls as (
    select
        judgment_key,
        task_id,
        project_id,
        control_name
    from {{ ref('int_agreement__judgment_values') }}
    {{ concord.only_changed_tasks() }}
),

judgment_values as (
    select
        judgment_key,
        control_name,
        -- a Jinja loop whose last column has no comma: sqlfluff cannot lay it out
        -- noqa: disable=LT02
        {%- for column in value_columns %}
            {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    -- noqa: enable=LT02
    from {{ ref('int_agreement__judgment_values') }}
    {{ concord.only_changed_tasks() }}
),

regions as (
    select * from {{ ref('int_agreement__judgment_regions') }}
    {{ concord.only_changed_tasks() }}
),

control_settings as (
    select * from {{ ref('int_agreement__control_settings') }}
    where is_scored
),

-- keys only: the pair rows go through several joins; the judgments' columns are joined last
judgment_pairs as (
    select
        'human_human' as pair_kind,
        judgment_a.task_id,
        judgment_a.project_id,
        judgment_a.judgment_key as judgment_key_a,
        judgment_b.judgment_key as judgment_key_b
    from judgments as judgment_a
    inner join judgments as judgment_b
        on judgment_a.task_id = judgment_b.task_id
        and judgment_a.annotation_id < judgment_b.annotation_id
    where
        judgment_a.judgment_kind = 'annotation'
        and judgment_b.judgment_kind = 'annotation'
    union all
    select
        'model_human' as pair_kind,
        judgment_a.task_id,
        judgment_a.project_id,
        judgment_a.judgment_key as judgment_key_a,
        judgment_b.judgment_key as judgment_key_b
    from judgments as judgment_a
    inner join judgments as judgment_b
        on judgment_a.task_id = judgment_b.task_id
    where
        judgment_a.judgment_kind = 'prediction'
        and judgment_b.judgment_kind = 'annotation'
),

-- the scored controls any judgment of the task answered
task_controls as (
    select distinct
        judgment_controls.task_id,
        judgment_controls.control_name,
        control_settings.is_region_metric
    from judgment_controls
    inner join control_settings
        on judgment_controls.project_id = control_settings.project_id
        and judgment_controls.control_name = control_settings.control_name
),

-- a pair counts for a control when at least one of its judgments answered it
pair_controls as (
    select
        judgment_pairs.*,
        task_controls.control_name,
        task_controls.is_region_metric,
        values_a.judgment_key is not null as is_present_a,
        values_b.judgment_key is not null as is_present_b
    from judgment_pairs
    inner join task_controls
        on judgment_pairs.task_id = task_controls.task_id
    left join judgment_controls as values_a
        on judgment_pairs.judgment_key_a = values_a.judgment_key
        and task_controls.control_name = values_a.control_name
    left join judgment_controls as values_b
        on judgment_pairs.judgment_key_b = values_b.judgment_key
        and task_controls.control_name = values_b.control_name
    where values_a.judgment_key is not null or values_b.judgment_key is not null
),

region_pair_controls as (
    select
        judgment_key_a,
        judgment_key_b,
        control_name
    from pair_controls
    where is_region_metric and is_present_a and is_present_b
),

-- every same-label region pair of the two judgments
region_matches as (
    select
        region_pair_controls.judgment_key_a,
        region_pair_controls.judgment_key_b,
        region_pair_controls.control_name,
        region_a.region_index as region_index_a,
        region_b.region_index as region_index_b,
        region_a.span_start is not null and region_b.span_start is not null as is_span_pair,
        region_a.rect_rotation = 0 and region_b.rect_rotation = 0 as is_axis_aligned,
        {{ metric_span_iou(
            'region_a.span_start', 'region_a.span_end', 'region_b.span_start', 'region_b.span_end'
        ) }}
            as span_iou,
        {{ metric_box_iou_axis_aligned(
            'region_a.rect_x', 'region_a.rect_y', 'region_a.rect_width', 'region_a.rect_height',
            'region_b.rect_x', 'region_b.rect_y', 'region_b.rect_width', 'region_b.rect_height',
        ) }} as axis_aligned_box_iou,
        -- rotated boxes are intersected in pixels when both sides know the image size
        region_a.rect_width_px is not null and region_b.rect_width_px is not null as has_pixels,
        -- a Jinja loop whose last column has no comma: sqlfluff cannot lay it out
        -- noqa: disable=LT02
        {%- for side in ['a', 'b'] %}
            {%- for field in ['x', 'y', 'width', 'height'] %}
                case
                    when region_a.rect_width_px is not null and region_b.rect_width_px is not null
                        then region_{{ side }}.rect_{{ field }}_px
                    else region_{{ side }}.rect_{{ field }}
                end as {{ side }}_{{ field[0] if field in ['width', 'height'] else field }},
            {%- endfor %}
            region_{{ side }}.rect_rotation as {{ side }}_rotation{{ ',' if not loop.last }}
        {%- endfor %}
    -- noqa: enable=LT02
    from region_pair_controls
    inner join regions as region_a
        on region_pair_controls.judgment_key_a = region_a.judgment_key
        and region_pair_controls.control_name = region_a.control_name
    inner join regions as region_b
        on region_pair_controls.judgment_key_b = region_b.judgment_key
        and region_pair_controls.control_name = region_b.control_name
        and region_a.label_key = region_b.label_key
),

rotated_box_pairs as (
    select
        row_number()
            over (order by judgment_key_a, judgment_key_b, control_name, region_index_a, region_index_b)
            as box_pair_id,
        *
    from region_matches
    where not is_span_pair and not is_axis_aligned
),

rotated_box_intersections as (
    {{ agreement_rotated_box_intersections('rotated_box_pairs') }}
),

rotated_box_ious as (
    select
        rotated_box_pairs.judgment_key_a,
        rotated_box_pairs.judgment_key_b,
        rotated_box_pairs.control_name,
        rotated_box_pairs.region_index_a,
        rotated_box_pairs.region_index_b,
        {{ metric_box_iou_rotated(
            'rotated_box_intersections.intersection_area',
            'rotated_box_pairs.a_x', 'rotated_box_pairs.a_y', 'rotated_box_pairs.a_w', 'rotated_box_pairs.a_h', 'rotated_box_pairs.a_rotation',
            'rotated_box_pairs.b_x', 'rotated_box_pairs.b_y', 'rotated_box_pairs.b_w', 'rotated_box_pairs.b_h', 'rotated_box_pairs.b_rotation',
        ) }} as iou
    from rotated_box_pairs
    inner join rotated_box_intersections
        on rotated_box_pairs.box_pair_id = rotated_box_intersections.box_pair_id
),

region_ious as (
    select
        region_matches.judgment_key_a,
        region_matches.judgment_key_b,
        region_matches.control_name,
        region_matches.region_index_a,
        region_matches.region_index_b,
        case
            when region_matches.is_span_pair then region_matches.span_iou
            when region_matches.is_axis_aligned then region_matches.axis_aligned_box_iou
            else rotated_box_ious.iou
        end as iou
    from region_matches
    left join rotated_box_ious
        on region_matches.judgment_key_a = rotated_box_ious.judgment_key_a
        and region_matches.judgment_key_b = rotated_box_ious.judgment_key_b
        and region_matches.control_name = rotated_box_ious.control_name
        and region_matches.region_index_a = rotated_box_ious.region_index_a
        and region_matches.region_index_b = rotated_box_ious.region_index_b
),

{%- for side, other in [('a', 'b'), ('b', 'a')] %}

    best_for_regions_of_{{ side }} as (
        select {{ pair_keys | join(', ') }}, region_index_{{ side }}, max(iou) as best_iou
        from region_ious
        group by {{ pair_keys | join(', ') }}, region_index_{{ side }}
    ),

    sum_best_{{ side }} as (
        select {{ pair_keys | join(', ') }}, fsum(best_iou) as sum_best_iou
        from best_for_regions_of_{{ side }}
        group by {{ pair_keys | join(', ') }}
    ),
{%- endfor %}

region_scores as (
    select
        region_pair_controls.judgment_key_a,
        region_pair_controls.judgment_key_b,
        region_pair_controls.control_name,
        sum_best_a.sum_best_iou as sum_best_a,
        sum_best_b.sum_best_iou as sum_best_b
    from region_pair_controls
    left join sum_best_a
        on region_pair_controls.judgment_key_a = sum_best_a.judgment_key_a
        and region_pair_controls.judgment_key_b = sum_best_a.judgment_key_b
        and region_pair_controls.control_name = sum_best_a.control_name
    left join sum_best_b
        on region_pair_controls.judgment_key_a = sum_best_b.judgment_key_a
        and region_pair_controls.judgment_key_b = sum_best_b.judgment_key_b
        and region_pair_controls.control_name = sum_best_b.control_name
),

-- the control's settings and the two judgments' columns and answers, joined only now to keep
-- the wide columns out of the joins above
pair_values as (
    select
        pair_controls.*,
        control_settings.control_type,
        control_settings.metric_name,
        control_settings.metric_version,
        control_settings.threshold,
        control_settings.scale_min,
        control_settings.scale_max,
        {%- for column in side_columns %}
            judgment_a.{{ column }} as {{ column }}_a,
            judgment_b.{{ column }} as {{ column }}_b,
        {%- endfor %}
        -- a Jinja loop whose last column has no comma: sqlfluff cannot lay it out
        -- noqa: disable=LT02
        {%- for column in value_columns %}
            values_a.{{ column }} as {{ column }}_a,
            values_b.{{ column }} as {{ column }}_b{{ ',' if not loop.last }}
        {%- endfor %}
    -- noqa: enable=LT02
    from pair_controls
    inner join control_settings
        on pair_controls.project_id = control_settings.project_id
        and pair_controls.control_name = control_settings.control_name
    inner join judgments as judgment_a
        on pair_controls.judgment_key_a = judgment_a.judgment_key
    inner join judgments as judgment_b
        on pair_controls.judgment_key_b = judgment_b.judgment_key
    left join judgment_values as values_a
        on pair_controls.judgment_key_a = values_a.judgment_key
        and pair_controls.control_name = values_a.control_name
    left join judgment_values as values_b
        on pair_controls.judgment_key_b = values_b.judgment_key
        and pair_controls.control_name = values_b.control_name
),

scored as (
    select
        pair_controls.*,
        case
            when not pair_controls.is_present_a or not pair_controls.is_present_b then 0.0
            when pair_controls.metric_name in ('exact_match', 'taxonomy_exact')
                then {{ metric_exact_match('pair_controls.value_key_a', 'pair_controls.value_key_b') }}
            when pair_controls.metric_name = 'choices_jaccard'
                then {{ metric_jaccard('pair_controls.choice_set_a', 'pair_controls.choice_set_b') }}
            when pair_controls.metric_name = 'numeric_difference'
                then {{ metric_numeric_difference(
                        'pair_controls.number_value_a', 'pair_controls.number_value_b'
                    ) }}
            when pair_controls.metric_name = 'numeric_scaled'
                then
                    {{ metric_numeric_scaled(
                        'pair_controls.number_value_a', 'pair_controls.number_value_b',
                        'pair_controls.scale_min', 'pair_controls.scale_max'
                    ) }}
            when pair_controls.metric_name = 'text_levenshtein'
                then {{ metric_text_levenshtein('pair_controls.text_lines_a', 'pair_controls.text_lines_b') }}
            when pair_controls.metric_name = 'ranker_kendall_tau'
                then
                    {{ metric_ranker_kendall_tau(
                        'pair_controls.ranker_order_a', 'pair_controls.ranker_order_b'
                    ) }}
            when pair_controls.metric_name = 'taxonomy_jaccard'
                then
                    {{ metric_jaccard(
                        'pair_controls.taxonomy_path_keys_a', 'pair_controls.taxonomy_path_keys_b'
                    ) }}
            when pair_controls.metric_name = 'taxonomy_common_subtree'
                then
                    {{ metric_jaccard(
                        'pair_controls.taxonomy_node_keys_a', 'pair_controls.taxonomy_node_keys_b'
                    ) }}
            when pair_controls.is_region_metric
                then
                    {{ metric_region_match_mean(
                        'region_scores.sum_best_a', 'region_scores.sum_best_b', 'pair_controls.n_regions_a',
                        'pair_controls.n_regions_b'
                    ) }}
        end as score
    from pair_values as pair_controls
    left join region_scores
        on pair_controls.judgment_key_a = region_scores.judgment_key_a
        and pair_controls.judgment_key_b = region_scores.judgment_key_b
        and pair_controls.control_name = region_scores.control_name
),

final as (
    select
        task_id,
        project_id,
        control_name,
        control_type,
        pair_kind,
        judgment_key_a,
        judgment_key_b,
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
        metric_version
    from scored
)

select * from final
