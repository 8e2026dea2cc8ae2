-- One row per (prediction, Choices control, confidence score): the scores that say how sure the
-- model is of the label it picked, for calibration. Sources (score_kind 'confidence' in
-- fct_model_scores):
--   prediction_score: prediction.score
--   region_score:     the choice result's own score
--   external:         a score table keyed by prediction_id (e.g. recalibrated confidences); its
--                     model_version is the table's (else the prediction's), so a recalibration is
--                     evaluated as a model version of its own
-- A table that gives one prediction two different scores is flagged (has_conflict, confidence
-- null), never averaged.
with

prediction_labels as (
    select * from {{ ref('int_model_eval__prediction_labels') }}
),

external_scores as (
    select * from {{ ref('int_model_eval__external_scores_matched') }}
    where key_kind = 'prediction_id'
),

external_per_prediction as (
    select
        prediction_id,
        score_table_name,
        model_version,
        count(*) as n_observations,
        count(distinct score) as n_distinct_scores,
        min(score) as min_score
    from external_scores
    group by prediction_id, score_table_name, model_version
),

from_prediction_score as (
    select
        prediction_id,
        control_name,
        task_id,
        project_id,
        model_label,
        'prediction_score' as score_source,
        'prediction.score' as score_name,
        model_version,
        prediction_score as confidence,
        1 as n_observations,
        false as has_conflict
    from prediction_labels
    where prediction_score is not null
),

from_region_score as (
    select
        prediction_id,
        control_name,
        task_id,
        project_id,
        model_label,
        'region_score' as score_source,
        control_name as score_name,
        model_version,
        region_score as confidence,
        1 as n_observations,
        false as has_conflict
    from prediction_labels
    where region_score is not null
),

from_external as (
    select
        prediction_labels.prediction_id,
        prediction_labels.control_name,
        prediction_labels.task_id,
        prediction_labels.project_id,
        prediction_labels.model_label,
        'external' as score_source,
        external_per_prediction.score_table_name as score_name,
        external_per_prediction.model_version,
        case when external_per_prediction.n_distinct_scores = 1 then external_per_prediction.min_score end
            as confidence,
        external_per_prediction.n_observations,
        external_per_prediction.n_distinct_scores > 1 as has_conflict
    from prediction_labels
    inner join external_per_prediction
        on prediction_labels.prediction_id = external_per_prediction.prediction_id
),

confidences as (
    select * from from_prediction_score
    union all
    select * from from_region_score
    union all
    select * from from_external
)

select * from confidences
