with

tasks as (
    select * from {{ ref('base_label_studio__tasks') }}
),

score_fields as (
    select * from {{ ref('base_label_studio__project_score_fields') }}
),

tasks_with_score_field as (
    select
        tasks.*,
        coalesce(score_fields.score_field, '{{ var("concord_score_field") }}') as score_field,
    from tasks
    left join score_fields
        on tasks.project_id = score_fields.project_id
),

renamed as (
    select
        task_id,
        project_id,
        {{ concord.json_bigint('task_json', '$.inner_id') }} as inner_id,
        {{ concord.json_text('task_json', '$.data."' ~ var('concord_ext_id_field') ~ '"') }} as ext_id,
        {{ concord.json_get('task_json', '$.data') }} as data_json,
        {{ concord.json_get('task_json', '$.meta') }} as meta_json,
        score_field,
        case
            when json_type(task_json, '$.data."' || score_field || '"') in ('BIGINT', 'UBIGINT', 'DOUBLE', 'VARCHAR')
                then try_cast(json_extract_string(task_json, '$.data."' || score_field || '"') as {{ concord.type_double() }})
        end as data_score,
        {{ concord.json_bigint('task_json', '$.total_annotations') }} as total_annotations,
        {{ concord.json_bigint('task_json', '$.cancelled_annotations') }} as cancelled_annotations,
        {{ concord.json_bigint('task_json', '$.total_predictions') }} as total_predictions,
        is_deleted,
        source_format,
        load_id,
        {{ concord.json_timestamp('task_json', '$.created_at') }} as created_at,
        {{ concord.json_timestamp('task_json', '$.updated_at') }} as updated_at,
        deleted_at,
        loaded_at,
    from tasks_with_score_field
)

select * from renamed
