-- Every model score observed for a task, one row per observation, with its provenance. Sources:
--   prediction_score: prediction.score (Label Studio: the model's confidence in its result)
--   region_score:     per-region result scores, averaged per prediction and control
--                     (score_name = the control)
--   data_field:       the task data field of the Header banner (<Header value="...$score">; the
--                     project's score_field, var concord_score_field when no config was ingested)
--   external:         external score tables (score_name = the table name)
-- fct_model_scores groups them per (task, source, name, model_version) and flags conflicts.
with

tasks as (
    select * from {{ ref('stg_label_studio__tasks') }}
    where not coalesce(is_deleted, false)
),

projects as (
    select * from {{ ref('stg_label_studio__projects') }}
),

predictions as (
    select * from {{ ref('stg_label_studio__predictions') }}
),

region_scores as (
    select * from {{ ref('int_model_eval__prediction_scores_by_control') }}
),

external_scores as (
    select * from {{ ref('int_model_eval__external_scores_matched') }}
),

prediction_score_observations as (
    select
        predictions.task_id,
        predictions.project_id,
        'prediction_score' as score_source,
        'prediction.score' as score_name,
        coalesce(predictions.model_version, '{{ var("model_eval_unversioned_label") }}') as model_version,
        predictions.prediction_score as score,
        predictions.prediction_id,
        cast(null as {{ dbt.type_string() }}) as key_kind,
        cast(null as {{ dbt.type_string() }}) as key_field,
        cast(null as {{ dbt.type_string() }}) as key_value,
        'prediction ' || cast(predictions.prediction_id as {{ dbt.type_string() }}) as provenance
    from predictions
    inner join tasks
        on predictions.task_id = tasks.task_id
    where predictions.prediction_score is not null
),

region_score_observations as (
    select
        region_scores.task_id,
        region_scores.project_id,
        'region_score' as score_source,
        region_scores.control_name as score_name,
        coalesce(region_scores.model_version, '{{ var("model_eval_unversioned_label") }}') as model_version,
        region_scores.mean_region_score as score,
        region_scores.prediction_id,
        cast(null as {{ dbt.type_string() }}) as key_kind,
        cast(null as {{ dbt.type_string() }}) as key_field,
        cast(null as {{ dbt.type_string() }}) as key_value,
        'prediction ' || cast(region_scores.prediction_id as {{ dbt.type_string() }})
        || ' mean of '
        || cast(region_scores.n_regions as {{ dbt.type_string() }})
        || ' region score(s)' as provenance
    from region_scores
    inner join tasks
        on region_scores.task_id = tasks.task_id
),

task_score_fields as (
    select
        tasks.task_id,
        tasks.project_id,
        tasks.data_json,
        coalesce(projects.score_field, '{{ var("concord_score_field") }}') as score_field
    from tasks
    left join projects
        on tasks.project_id = projects.project_id
),

data_field_observations as (
    select
        task_id,
        project_id,
        'data_field' as score_source,
        score_field as score_name,
        '{{ var("model_eval_unversioned_label") }}' as model_version,
        try_cast({{ model_eval_json_field_text('data_json', 'score_field') }} as {{ concord.type_double() }})
            as score,
        cast(null as bigint) as prediction_id,
        cast(null as {{ dbt.type_string() }}) as key_kind,
        cast(null as {{ dbt.type_string() }}) as key_field,
        cast(null as {{ dbt.type_string() }}) as key_value,
        'task.data.' || score_field as provenance
    from task_score_fields
),

external_observations as (
    select
        task_id,
        project_id,
        'external' as score_source,
        score_table_name as score_name,
        model_version,
        score,
        prediction_id,
        key_kind,
        key_field,
        key_value,
        'score table '
        || score_table_name
        || ' row '
        || cast(row_number as {{ dbt.type_string() }}) as provenance
    from external_scores
),

observations as (
    select * from prediction_score_observations
    union all
    select * from region_score_observations
    union all
    select * from data_field_observations
    where score is not null
    union all
    select * from external_observations
)

select * from observations
