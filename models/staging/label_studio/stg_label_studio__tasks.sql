with

tasks as (
    select * from {{ ref('base_label_studio__tasks') }}
),

score_fields as (
    select * from {{ ref('base_label_studio__project_score_fields') }}
),

parsed as (
    select
        tasks.task_id,
        tasks.project_id,
        tasks.is_deleted,
        tasks.source_format,
        tasks.load_id,
        tasks.deleted_at,
        tasks.loaded_at,
        coalesce(score_fields.score_field, '{{ var("concord_score_field") }}') as score_field,
        -- only the task fields used below are cast (as base_label_studio__tasks_parsed types them),
        -- not the annotations, predictions and drafts
        -- a Jinja loop whose last column has no comma: sqlfluff cannot lay it out
        -- noqa: disable=LT02
        {%- for field in ['inner_id', 'data', 'meta', 'total_annotations', 'cancelled_annotations',
            'total_predictions', 'created_at', 'updated_at'] %}
            {{ concord.label_studio_task_field_from_raw('tasks.task', field) }} as task_{{ field }}
            {{- ',' if not loop.last }}
        {%- endfor %}
    -- noqa: enable=LT02
    from tasks
    left join score_fields
        on tasks.project_id = score_fields.project_id
),

renamed as (
    select
        task_id,
        project_id,
        task_inner_id as inner_id,
        {{ concord.json_text('task_data', '$."' ~ var('concord_ext_id_field') ~ '"') }} as ext_id,
        task_data as data_json,
        task_meta as meta_json,
        score_field,
        -- the field name is per project (read from its Header banner); numbers and numeric
        -- strings are read, anything else is null
        {{ concord.json_double_at_key('task_data', 'score_field') }} as data_score,
        task_total_annotations as total_annotations,
        task_cancelled_annotations as cancelled_annotations,
        task_total_predictions as total_predictions,
        is_deleted,
        source_format,
        load_id,
        {{ concord.timestamp_from_text('task_created_at') }} as created_at,
        {{ concord.timestamp_from_text('task_updated_at') }} as updated_at,
        deleted_at,
        loaded_at
    from parsed
)

select * from renamed
