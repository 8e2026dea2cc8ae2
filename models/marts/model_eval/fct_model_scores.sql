-- All model scores of a task in one place: one row per (task, score source, score name,
-- model_version). When the observations for that key disagree (two predictions of one version with
-- different scores, a score table listing a key twice with different values, ...) the row is
-- flagged has_conflict and `score` is null: conflicting values are never averaged away; min / max
-- and the provenance of every observation stay visible.
-- score_kind: 'confidence' for scores about one prediction's result (prediction.score, region
-- scores, score tables keyed by prediction_id): the model's confidence in its own answer, used for
-- calibration; 'value' for scores about the task (the Header data field, tables keyed by task id or
-- a data field): a position on the judgment's [0, 1] scale, compared with people in
-- fct_score_deltas.
with

observations as (
    select * from {{ ref('int_model_eval__score_observations') }}
),

tasks as (
    select * from {{ ref('stg_label_studio__tasks') }}
),

grouped as (
    select
        task_id,
        score_source,
        score_name,
        model_version,
        min(project_id) as project_id,
        min(key_kind) as key_kind,
        min(key_field) as key_field,
        min(key_value) as key_value,
        count(*) as n_observations,
        count(distinct score) as n_distinct_scores,
        min(score) as min_score,
        max(score) as max_score,
        min(prediction_id) as prediction_id,
        count(distinct prediction_id) as n_predictions,
        {{ model_eval_string_agg('provenance', '; ') }} as provenance
    from observations
    group by task_id, score_source, score_name, model_version
),

flagged as (
    select
        grouped.task_id,
        grouped.project_id,
        tasks.ext_id,
        grouped.score_source,
        grouped.score_name,
        grouped.model_version,
        case when grouped.n_distinct_scores = 1 then grouped.min_score end as score,
        grouped.min_score,
        grouped.max_score,
        grouped.n_observations,
        grouped.n_distinct_scores,
        case when grouped.n_predictions = 1 then grouped.prediction_id end as prediction_id,
        grouped.n_predictions,
        grouped.key_kind,
        grouped.key_field,
        grouped.key_value,
        grouped.provenance,
        -- what the score is about: a prediction's own result (its confidence) or the task
        case
            when grouped.score_source in ('prediction_score', 'region_score') then 'confidence'
            when grouped.score_source = 'external' and grouped.key_kind = 'prediction_id' then 'confidence'
            else 'value'
        end as score_kind,
        grouped.n_distinct_scores > 1 as has_conflict
    from grouped
    left join tasks
        on grouped.task_id = tasks.task_id
)

select * from flagged
