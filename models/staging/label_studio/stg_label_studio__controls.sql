-- One row per control (Choices, Rating, Labels, ...) of each project: from its labeling config
-- when one was ingested, otherwise inferred from the results seen (annotations and predictions),
-- marked is_inferred.
with

config_tags as (
    select * from {{ ref('base_label_studio__config_tags') }}
),

labeling_configs as (
    select * from {{ ref('stg_label_studio__labeling_configs') }}
),

annotation_results as (
    select * from {{ ref('stg_label_studio__annotation_results') }}
),

prediction_results as (
    select * from {{ ref('stg_label_studio__prediction_results') }}
),

configured as (
    select
        config_tags.project_id,
        config_tags.tag_name as control_name,
        config_tags.tag_type as control_type,
        config_tags.to_name,
        {{ concord.json_text_list('config_tags.choices_json', '$') }} as choices,
        {{ concord.json_text_list('config_tags.labels_json', '$') }} as labels,
        config_tags.is_multiple,
        config_tags.max_rating,
        config_tags.min_value,
        config_tags.max_value,
        false as is_inferred,
        labeling_configs.config_sha256
    from config_tags
    inner join labeling_configs
        on config_tags.project_id = labeling_configs.project_id
    where config_tags.tag_role = 'control'
),

results_seen as (
    select
        project_id,
        control_name,
        result_type,
        to_name,
        choices,
        region_labels,
        rating,
        number_value
    from annotation_results
    union all
    select
        project_id,
        control_name,
        result_type,
        to_name,
        choices,
        region_labels,
        rating,
        number_value
    from prediction_results
),

inferred as (
    select
        results_seen.project_id,
        results_seen.control_name,
        mode(results_seen.result_type) as control_type,
        mode(results_seen.to_name) as to_name,
        {{ concord.list_agg_distinct_flat('results_seen.choices') }} as choices,
        {{ concord.list_agg_distinct_flat('results_seen.region_labels') }} as labels,
        coalesce(
            max({{ concord.list_length('results_seen.choices') }}) > 1
            or max({{ concord.list_length('results_seen.region_labels') }}) > 1,
            false
        ) as is_multiple,
        -- a scale is declared, never inferred: the highest rating or the number range seen so far
        -- is not the scale (one new value would silently rescale every normalised judgment), so
        -- consumers get NULL and fall back to their documented defaults
        cast(null as integer) as max_rating,
        cast(null as double) as min_value,
        cast(null as double) as max_value,
        true as is_inferred,
        cast(null as varchar) as config_sha256
    from results_seen
    where
        results_seen.control_name is not null
        and results_seen.project_id not in (select labeling_configs.project_id from labeling_configs)
    group by results_seen.project_id, results_seen.control_name
),

controls as (
    select * from configured
    union all
    select * from inferred
)

select * from controls
