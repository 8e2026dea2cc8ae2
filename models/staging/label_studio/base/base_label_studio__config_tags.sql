-- The one reader of raw_label_studio.config_tags (used by controls and projects).
with

source as (
    select * from {{ source('label_studio', 'config_tags') }}
),

renamed as (
    select
        project_id,
        tag_name,
        lower(tag_type) as tag_type,
        tag_role,
        to_name,
        value_field,
        value_template,
        choices as choices_json,
        labels as labels_json,
        is_multiple,
        max_rating,
        min_value,
        max_value,
        attributes as attributes_json,
        tag_position,
        load_id
    from source
)

select * from renamed
