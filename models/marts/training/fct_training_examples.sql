-- The default training set, one row per task: fct_training_candidates filtered with the dbt vars
-- `concord extract` defaults to, so `dbt build` alone gives what `concord extract` writes with no
-- options (docs/governance.md, "Filters"):
--   not skipped-only; not in fct_review_queue unless a ground-truth annotation resolves it;
--   n_annotations >= var concord_extract_min_annotations;
--   agreement gate: a control is gated by its own threshold (var
--   concord_extract_min_agreement_by_control) or, when it has an agreement metric, by var
--   concord_extract_min_agreement; with any threshold set, a task needs at least one gated
--   control and every gated control at or above its threshold (NULL agreement fails).
--   label (var concord_extract_label): majority -> labels_json; weighted -> weighted_labels_json
--   (consensus_value = the Dawid-Skene label on categorical controls); var
--   concord_extract_min_posterior: every categorical control's label has at least that posterior
--   (a tied majority has none and fails); tasks without categorical controls are not gated.
{%- set min_agreement = var('concord_extract_min_agreement') %}
{%- set by_control = var('concord_extract_min_agreement_by_control') %}
{%- set gating = (min_agreement is not none) or (by_control | length > 0) %}
{%- set label = var('concord_extract_label') %}
{%- set min_posterior = var('concord_extract_min_posterior') %}
{%- if label not in ('majority', 'weighted') %}
    {{ exceptions.raise_compiler_error("var concord_extract_label: expected majority or weighted, got " ~ label) }}
{%- endif %}
with

candidates as (
    select * from {{ ref('fct_training_candidates') }}
),

control_candidates as (
    select * from {{ ref('fct_training_candidates_by_control') }}
),

control_thresholds as (
    select
        *,
        case
        {%- for name, threshold in by_control.items() %}
            when control_name = '{{ name }}' then cast({{ threshold }} as double)
            {%- endfor %}
            when has_agreement_metric
                then cast({{ 'null' if min_agreement is none else min_agreement }} as double)
        end as agreement_threshold
    from control_candidates
    where
        not is_skipped_only
        and (not is_in_review_queue or is_resolved_by_ground_truth)
),

gated_tasks as (
    select
        task_id,
        bool_and(coalesce(agreement >= agreement_threshold, false)) as passes
    from control_thresholds
    where agreement_threshold is not null
    group by task_id
),

filtered as (
    select
        task_id,
        project_id,
        ext_id,
        split,
        data_json,
        {{ 'weighted_labels_json' if label == 'weighted' else 'labels_json' }} as labels_json,
        n_annotations,
        min_agreement,
        has_ground_truth,
        model_version,
        model_label,
        model_score,
        human_model_delta,
        prediction_ids,
        annotation_ids,
        load_id
    from candidates
    where
        not is_skipped_only
        and (not is_in_review_queue or is_resolved_by_ground_truth)
        and n_annotations >= {{ var('concord_extract_min_annotations') }}
        -- optional filters in Jinja blocks: sqlfluff cannot lay out their ends
        -- noqa: disable=LT02
        {%- if gating %}
            and task_id in (
                select gated_tasks.task_id
                from gated_tasks
                where gated_tasks.passes
            )
        {%- endif %}
        {%- if min_posterior is not none %}
            and coalesce(min_{{ label }}_posterior >= {{ min_posterior }}, true)
        {%- endif %}
    -- noqa: enable=LT02
)

select * from filtered
