with

source as (
    select * from {{ source('label_studio', 'loads') }}
),

renamed as (
    select
        load_id,
        project_id,
        command,
        file_name,
        file_path,
        file_sha256,
        file_bytes,
        file_format,
        n_records,
        is_full_snapshot,
        loaded_at,
        source as load_source
    from source
)

select * from renamed
