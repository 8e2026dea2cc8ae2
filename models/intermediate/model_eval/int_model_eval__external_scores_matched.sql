-- External score rows (stg_scores__external_scores) resolved to the task they score:
--   key_kind 'task_id':       key_value = task id
--   key_kind 'prediction_id': key_value = prediction id -> its task (and its model_version when the
--                             score table has none)
--   key_kind 'data_field':    key_value = task.data[key_field] (e.g. ext_id), compared as text
-- One row per (score row, matched task): a data-field key shared by tasks of several projects
-- scores each of them. Rows that match nothing are in int_model_eval__external_scores_unmatched.
with

external_scores as (
    select * from {{ ref('stg_scores__external_scores') }}
),

tasks as (
    select * from {{ ref('stg_label_studio__tasks') }}
    where not coalesce(is_deleted, false)
),

predictions as (
    select * from {{ ref('stg_label_studio__predictions') }}
),

data_key_fields as (
    select distinct key_field
    from external_scores
    where key_kind = 'data_field'
),

task_data_keys as (
    select
        tasks.task_id,
        data_key_fields.key_field,
        {{ model_eval_json_field_text('tasks.data_json', 'data_key_fields.key_field') }} as key_value
    from tasks
    cross join data_key_fields
),

matched_on_task_id as (
    select
        external_scores.*,
        tasks.task_id,
        cast(null as bigint) as prediction_id,
        cast(null as {{ dbt.type_string() }}) as prediction_model_version
    from external_scores
    inner join tasks
        on external_scores.key_kind = 'task_id'
        and try_cast(external_scores.key_value as bigint) = tasks.task_id
),

matched_on_prediction_id as (
    select
        external_scores.*,
        predictions.task_id,
        predictions.prediction_id,
        predictions.model_version as prediction_model_version
    from external_scores
    inner join predictions
        on external_scores.key_kind = 'prediction_id'
        and try_cast(external_scores.key_value as bigint) = predictions.prediction_id
    inner join tasks
        on predictions.task_id = tasks.task_id
),

matched_on_data_field as (
    select
        external_scores.*,
        task_data_keys.task_id,
        cast(null as bigint) as prediction_id,
        cast(null as {{ dbt.type_string() }}) as prediction_model_version
    from external_scores
    inner join task_data_keys
        on external_scores.key_kind = 'data_field'
        and external_scores.key_field = task_data_keys.key_field
        and external_scores.key_value = task_data_keys.key_value
),

matched as (
    select * from matched_on_task_id
    union all
    select * from matched_on_prediction_id
    union all
    select * from matched_on_data_field
),

resolved as (
    select
        matched.score_table_name,
        matched.row_number,
        matched.task_id,
        tasks.project_id,
        matched.prediction_id,
        matched.key_kind,
        matched.key_field,
        matched.key_value,
        matched.score,
        coalesce(
            matched.model_version,
            matched.prediction_model_version,
            '{{ var("model_eval_unversioned_label") }}'
        ) as model_version,
        matched.scored_at,
        matched.load_id
    from matched
    inner join tasks
        on matched.task_id = tasks.task_id
)

select * from resolved
