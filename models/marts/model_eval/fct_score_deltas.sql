-- One row per (annotation, scalar control, model score): the human judgment normalised to [0, 1],
-- the model score, signed delta (model - human) and absolute delta.
-- Which scores: fct_model_scores rows without conflict whose score_kind is in var
-- model_eval_delta_score_kinds (default 'value': scores about the task, on the judgment's scale;
-- 'confidence' scores about a prediction's own answer go to calibration instead).
-- metric_version: score_delta_v1 (delta = model_score - human_value; abs_delta = |delta|)
with

judgments as (
    select * from {{ ref('int_model_eval__human_judgments') }}
),

model_scores as (
    select * from {{ ref('fct_model_scores') }}
),

comparable_scores as (
    select * from model_scores
    where
        not has_conflict
        and score_kind in (
            {%- for kind in var('model_eval_delta_score_kinds') %}
                '{{ kind }}'{% if not loop.last %},{% endif %}
            {%- endfor %}
        )
),

deltas as (
    select
        judgments.annotation_id,
        judgments.control_name,
        comparable_scores.score_source,
        comparable_scores.score_name,
        comparable_scores.model_version,
        judgments.task_id,
        judgments.project_id,
        judgments.annotator_id,
        judgments.control_type,
        judgments.exposure,
        judgments.judgment_label,
        judgments.judgment_number,
        judgments.human_value,
        comparable_scores.score as model_score,
        comparable_scores.score - judgments.human_value as signed_delta,
        abs(comparable_scores.score - judgments.human_value) as abs_delta,
        'score_delta_v1' as metric_version,
        judgments.is_exposed,
        judgments.is_ground_truth
    from judgments
    inner join comparable_scores
        on judgments.task_id = comparable_scores.task_id
    where judgments.human_value is not null
)

select * from deltas
