-- Tasks for senior review: one row per task with at least one reason, every reason that applies.
-- Reasons (thresholds are dbt vars, defaults in dbt_project.yml and docs/model_eval.md):
--   divergence                some annotation's normalised judgment differs from a model score
--                             (fct_score_deltas) by more than model_eval_divergence_threshold
--   human_disagreement        on some scalar control (Choices, Rating, Number) judged by >= 2
--                             annotations, the consensus share is below
--                             model_eval_consensus_threshold; or, on a region control (spans,
--                             boxes: no single consensus value), the mean pairwise agreement of
--                             the agreement engine (fct_control_agreement) is below
--                             model_eval_region_agreement_threshold
--   model_uncertain           a non-conflicting score from model_eval_uncertainty_score_sources
--                             lies within model_eval_uncertain_band [low, high]
--   too_few_annotations       fewer non-empty submitted annotations than model_eval_min_annotations
--   anchored_sole_annotator   exactly one non-empty annotation, by an annotator flagged in
--                             fct_anchoring_index (any control / score)
-- priority = sum of model_eval_review_weights of the reasons that apply + max_abs_delta (0..1, so
-- it only orders tasks with the same reasons); queue_position orders by priority desc, task_id asc.
-- Per model version and control, fct_model_ceiling_verdict.verdict says whether the model is below
-- the human ceiling beyond sampling noise (docs/model_eval.md); this queue shows where, task by task.
{%- set weights = var('model_eval_review_weights') %}
{%- set band = var('model_eval_uncertain_band') %}
with

tasks as (
    select * from {{ ref('stg_label_studio__tasks') }}
    where not coalesce(is_deleted, false)
),

annotations as (
    select * from {{ ref('int_model_eval__annotation_exposure') }}
),

deltas as (
    select * from {{ ref('fct_score_deltas') }}
),

consensus as (
    select * from {{ ref('int_model_eval__human_consensus') }}
),

model_scores as (
    select * from {{ ref('fct_model_scores') }}
),

control_agreement as (
    select * from {{ ref('fct_control_agreement') }}
),

control_settings as (
    select * from {{ ref('int_agreement__control_settings') }}
),

anchoring as (
    select * from {{ ref('fct_anchoring_index') }}
),

divergence as (
    select
        task_id,
        max(abs_delta) as max_abs_delta
    from deltas
    group by task_id
),

disagreement as (
    select
        task_id,
        min(consensus_share) as min_consensus_share
    from consensus
    where n_keyed_judgments >= 2
    group by task_id
),

region_disagreement as (
    select
        control_agreement.task_id,
        min(control_agreement.agreement) as min_region_agreement
    from control_agreement
    inner join control_settings
        on control_agreement.project_id = control_settings.project_id
        and control_agreement.control_name = control_settings.control_name
    where
        control_settings.is_region_metric
        and control_agreement.n_pairs > 0
    group by control_agreement.task_id
),

uncertainty as (
    select
        task_id,
        min(abs(score - 0.5)) as min_distance_from_half,
        count(*) as n_uncertain_scores
    from model_scores
    where
        not has_conflict
        and score between {{ band[0] }} and {{ band[1] }}
        and score_source in (
            {%- for source in var('model_eval_uncertainty_score_sources') %}
                '{{ source }}'{% if not loop.last %},{% endif %}
            {%- endfor %}
        )
    group by task_id
),

annotation_counts as (
    select
        task_id,
        count(case when not is_empty then 1 end) as n_annotations,
        min(case when not is_empty then annotator_id end) as first_annotator_id
    from annotations
    group by task_id
),

flagged_annotators as (
    select distinct
        project_id,
        annotator_id
    from anchoring
    where is_anchoring_flagged
),

task_signals as (
    select
        tasks.task_id,
        tasks.project_id,
        tasks.ext_id,
        coalesce(annotation_counts.n_annotations, 0) as n_annotations,
        divergence.max_abs_delta,
        disagreement.min_consensus_share,
        region_disagreement.min_region_agreement,
        uncertainty.n_uncertain_scores,
        -- thresholds through concord_compare: float noise in an average cannot flip a flag
        coalesce(
            {{ concord_compare(
                'divergence.max_abs_delta', '>', var('model_eval_divergence_threshold')
            ) }},
            false
        ) as has_divergence,
        (
            coalesce(
                {{ concord_compare(
                    'disagreement.min_consensus_share', '<', var('model_eval_consensus_threshold')
                ) }},
                false
            )
            or coalesce(
                {{ concord_compare(
                    'region_disagreement.min_region_agreement', '<',
                    var('model_eval_region_agreement_threshold')
                ) }},
                false
            )
        ) as has_human_disagreement,
        uncertainty.task_id is not null as has_model_uncertain,
        coalesce(annotation_counts.n_annotations, 0)
        < {{ var('model_eval_min_annotations') }} as has_too_few_annotations,
        (annotation_counts.n_annotations = 1 and flagged_annotators.annotator_id is not null)
            as has_anchored_sole_annotator
    from tasks
    left join annotation_counts
        on tasks.task_id = annotation_counts.task_id
    left join divergence
        on tasks.task_id = divergence.task_id
    left join disagreement
        on tasks.task_id = disagreement.task_id
    left join region_disagreement
        on tasks.task_id = region_disagreement.task_id
    left join uncertainty
        on tasks.task_id = uncertainty.task_id
    left join flagged_annotators
        on tasks.project_id = flagged_annotators.project_id
        and annotation_counts.first_annotator_id = flagged_annotators.annotator_id
),

reasoned as (
    select
        *,
        concat_ws(
            ', ',
            case when has_divergence then 'divergence' end,
            case when has_human_disagreement then 'human_disagreement' end,
            case when has_anchored_sole_annotator then 'anchored_sole_annotator' end,
            case when has_model_uncertain then 'model_uncertain' end,
            case when has_too_few_annotations then 'too_few_annotations' end
        ) as reasons,
        (
            cast(has_divergence as integer)
            + cast(has_human_disagreement as integer)
            + cast(has_anchored_sole_annotator as integer)
            + cast(has_model_uncertain as integer)
            + cast(has_too_few_annotations as integer)
        ) as n_reasons,
        (
            {{ weights['divergence'] }} * cast(has_divergence as integer)
            + {{ weights['human_disagreement'] }} * cast(has_human_disagreement as integer)
            + {{ weights['anchored_sole_annotator'] }} * cast(has_anchored_sole_annotator as integer)
            + {{ weights['model_uncertain'] }} * cast(has_model_uncertain as integer)
            + {{ weights['too_few_annotations'] }} * cast(has_too_few_annotations as integer)
            + case when max_abs_delta is null then 0.0 when max_abs_delta > 1 then 1.0 else max_abs_delta end
        ) as priority
    from task_signals
),

queue as (
    select
        row_number() over (order by priority desc, task_id asc) as queue_position,
        task_id,
        project_id,
        ext_id,
        reasons,
        n_reasons,
        priority,
        n_annotations,
        max_abs_delta,
        min_consensus_share,
        min_region_agreement,
        n_uncertain_scores,
        has_divergence,
        has_human_disagreement,
        has_anchored_sole_annotator,
        has_model_uncertain,
        has_too_few_annotations
    from reasoned
    where n_reasons > 0
)

select * from queue
