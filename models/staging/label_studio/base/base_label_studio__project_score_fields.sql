-- The task.data field that holds a project's model score: the first `$field` of the first
-- <Header> banner of its labeling config (byos: value="Model score: $score"), else the dbt var
-- `concord_score_field`. Projects without a config get the var in stg_label_studio__projects.
with

config_tags as (
    select * from {{ ref('base_label_studio__config_tags') }}
),

headers as (
    select
        project_id,
        value_field,
        row_number() over (partition by project_id order by tag_position) as header_rank
    from config_tags
    where
        tag_type = 'header'
        and value_field is not null
),

score_fields as (
    select
        project_id,
        value_field as score_field
    from headers
    where header_rank = 1
)

select * from score_fields
