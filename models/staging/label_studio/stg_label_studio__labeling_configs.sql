with

source as (
    select * from {{ source('label_studio', 'labeling_configs') }}
),

renamed as (
    select
        project_id,
        load_id,
        config_xml,
        config_sha256,
        loaded_at
    from source
)

select * from renamed
