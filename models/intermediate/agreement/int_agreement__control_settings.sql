-- One row per (project, control) seen in a config or in any result: the agreement metric that
-- scores it (from seeds/control_metric_settings.csv, var concord_agreement_thresholds overriding
-- thresholds, var concord_agreement_metrics overriding the metric; keys are control names or
-- type keys, a name beats a type), or why it is not scored (skip_reason).
{%- set metrics = agreement_metrics() %}
{%- set threshold_overrides = var('concord_agreement_thresholds', {}) %}
{%- set metric_overrides = var('concord_agreement_metrics', {}) %}
with

controls as (
    select * from {{ ref('stg_label_studio__controls') }}
),

annotation_results as (
    select * from {{ ref('stg_label_studio__annotation_results') }}
),

prediction_results as (
    select * from {{ ref('stg_label_studio__prediction_results') }}
),

settings as (
    select * from {{ ref('control_metric_settings') }}
),

metric_registry as (
    {%- for metric_name, metric in metrics.items() %}
        {%- for control_key in metric['control_keys'] %}
            select
                '{{ metric_name }}' as metric_name,
                '{{ control_key }}' as control_key,
                {{ metric['metric_version'] }} as metric_version
            {%- if not loop.last %}
                union all
            {%- endif %}
        {%- endfor %}
    {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

result_controls as (
    select
        project_id,
        control_name,
        min(result_type) as result_type
    from (
        select
            project_id,
            control_name,
            result_type
        from annotation_results
        union all
        select
            project_id,
            control_name,
            result_type
        from prediction_results
    ) as all_results
    where control_name is not null
    group by project_id, control_name
),

all_controls as (
    select
        controls.project_id,
        controls.control_name,
        lower(controls.control_type) as control_type,
        coalesce(controls.is_multiple, false) as is_multiple,
        cast(controls.max_rating as double) as max_rating,
        cast(controls.min_value as double) as min_value,
        cast(controls.max_value as double) as max_value,
        coalesce(controls.is_inferred, false) as is_inferred,
        false as is_missing_from_config
    from controls
    union all
    select
        result_controls.project_id,
        result_controls.control_name,
        lower(result_controls.result_type) as control_type,
        false as is_multiple,
        cast(null as double) as max_rating,
        cast(null as double) as min_value,
        cast(null as double) as max_value,
        true as is_inferred,
        true as is_missing_from_config
    from result_controls
    left join controls
        on result_controls.project_id = controls.project_id
        and result_controls.control_name = controls.control_name
    where controls.control_name is null
),

keyed_controls as (
    select
        *,
        case
            when control_type = 'choices' and is_multiple then 'choices_multiple'
            else control_type
        end as control_key
    from all_controls
),

setting_candidates as (
    select
        keyed_controls.project_id,
        keyed_controls.control_name,
        {%- if metric_overrides %}
        case
            {%- for key, value in metric_overrides.items() %}
            when keyed_controls.control_name = '{{ key }}' then '{{ value }}'
            {%- endfor %}
            {%- for key, value in metric_overrides.items() %}
            when keyed_controls.control_key = '{{ key }}' then '{{ value }}'
            {%- endfor %}
            else settings.metric_name
        end as metric_name,
        {%- else %}
            settings.metric_name,
        {%- endif %}
        cast(settings.threshold as double) as threshold,
        cast(settings.weight as double) as weight,
        settings.match_on
        || case when settings.project_id is null then '' else ':project' end as settings_source,
        row_number() over (
            partition by keyed_controls.project_id, keyed_controls.control_name
            order by
                case when settings.match_on = 'name' then 0 else 1 end,
                case when settings.project_id is null then 1 else 0 end
        ) as preference
    from keyed_controls
    inner join settings
        on (
            (settings.match_on = 'name' and settings.match_value = keyed_controls.control_name)
            or (settings.match_on = 'type' and settings.match_value = keyed_controls.control_key)
        )
        and (settings.project_id is null or settings.project_id = keyed_controls.project_id)
),

resolved as (
    select
        keyed_controls.project_id,
        keyed_controls.control_name,
        keyed_controls.control_type,
        keyed_controls.control_key,
        keyed_controls.is_multiple,
        keyed_controls.is_inferred,
        keyed_controls.is_missing_from_config,
        setting_candidates.metric_name,
        metric_registry.metric_version,
        {%- if threshold_overrides %}
        case
            {%- for key, value in threshold_overrides.items() %}
            when keyed_controls.control_name = '{{ key }}' then cast({{ 'null' if value is none else value }} as double)
            {%- endfor %}
            {%- for key, value in threshold_overrides.items() %}
            when keyed_controls.control_key = '{{ key }}' then cast({{ 'null' if value is none else value }} as double)
            {%- endfor %}
            else setting_candidates.threshold
        end as threshold,
        {%- else %}
            setting_candidates.threshold,
        {%- endif %}
        coalesce(setting_candidates.weight, 1.0) as weight,
        case
            when keyed_controls.control_type = 'rating' then 1.0
            when keyed_controls.control_type = 'number' then keyed_controls.min_value
        end as scale_min,
        case
            -- Label Studio's Rating defaults to maxRating="5"
            when keyed_controls.control_type = 'rating' then coalesce(keyed_controls.max_rating, 5.0)
            when keyed_controls.control_type = 'number' then keyed_controls.max_value
        end as scale_max,
        setting_candidates.metric_name in ('span_iou', 'box_iou') as is_region_metric,
        setting_candidates.settings_source,
        case
            when setting_candidates.metric_name is null
                then 'no agreement metric configured for control type ' || keyed_controls.control_key
            when setting_candidates.metric_name = 'none'
                then 'disabled in control_metric_settings'
            when metric_registry.metric_name is null
                then
                    'metric ' || setting_candidates.metric_name || ' does not apply to control type '
                    || keyed_controls.control_key
        end as skip_reason
    from keyed_controls
    left join setting_candidates
        on keyed_controls.project_id = setting_candidates.project_id
        and keyed_controls.control_name = setting_candidates.control_name
        and setting_candidates.preference = 1
    left join metric_registry
        on setting_candidates.metric_name = metric_registry.metric_name
        and keyed_controls.control_key = metric_registry.control_key
),

final as (
    select
        *,
        skip_reason is null as is_scored
    from resolved
)

select * from final
