-- One row per Label Studio project seen in a task or a labeling config.
with

tasks as (
    select * from {{ ref('base_label_studio__tasks') }}
),

labeling_configs as (
    select * from {{ ref('stg_label_studio__labeling_configs') }}
),

loads as (
    select * from {{ ref('stg_label_studio__loads') }}
),

score_fields as (
    select * from {{ ref('base_label_studio__project_score_fields') }}
),

project_ids as (
    select project_id from tasks
    union
    select project_id from labeling_configs
),

task_counts as (
    select
        project_id,
        count(*) filter (where not is_deleted) as n_tasks,
        count(*) filter (where is_deleted) as n_deleted_tasks
    from tasks
    group by project_id
),

last_loads as (
    select
        project_id,
        max(loaded_at) as last_loaded_at
    from loads
    where project_id is not null
    group by project_id
),

projects as (
    select
        project_ids.project_id,
        coalesce(score_fields.score_field, '{{ var("concord_score_field") }}') as score_field,
        coalesce(task_counts.n_tasks, 0) as n_tasks,
        coalesce(task_counts.n_deleted_tasks, 0) as n_deleted_tasks,
        labeling_configs.project_id is not null as has_config,
        score_fields.score_field is not null as has_score_banner,
        labeling_configs.config_sha256,
        last_loads.last_loaded_at
    from project_ids
    left join task_counts
        on project_ids.project_id = task_counts.project_id
    left join labeling_configs
        on project_ids.project_id = labeling_configs.project_id
    left join score_fields
        on project_ids.project_id = score_fields.project_id
    left join last_loads
        on project_ids.project_id = last_loads.project_id
)

select * from projects
