-- The default training set, one row per task and control: fct_training_candidates_by_control
-- filtered with the dbt vars `concord extract --control ...` defaults to (docs/governance.md):
--   controls: var concord_extract_controls (empty list: every scored control);
--   not skipped-only; not in fct_review_queue unless a ground-truth annotation resolves it;
--   n_annotations >= var concord_extract_min_annotations;
--   label (var concord_extract_label): majority -> consensus_value; weighted -> the Dawid-Skene
--   weighted label on categorical controls; var concord_extract_min_posterior: on categorical
--   controls, the label's posterior >= it (no majority fails); other controls are not gated;
--   agreement >= the control's threshold (var concord_extract_min_agreement_by_control, else var
--   concord_extract_min_agreement for controls with an agreement metric); NULL agreement fails.
{%- set min_agreement = var('concord_extract_min_agreement') %}
{%- set by_control = var('concord_extract_min_agreement_by_control') %}
{%- set controls = var('concord_extract_controls') %}
{%- set label = var('concord_extract_label') %}
{%- set min_posterior = var('concord_extract_min_posterior') %}
{%- if label not in ('majority', 'weighted') %}
    {{ exceptions.raise_compiler_error("var concord_extract_label: expected majority or weighted, got " ~ label) }}
{%- endif %}
with

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
),

filtered as (
    select
        task_id,
        project_id,
        ext_id,
        control_name,
        control_type,
        split,
        data_json,
        {{ 'coalesce(weighted_label, consensus_value)' if label == 'weighted' else 'consensus_value' }}
            as consensus_value,
        agreement,
        agreement_metric,
        n_annotations,
        ground_truth_value,
        model_version,
        model_label,
        model_score,
        human_model_delta,
        prediction_ids,
        annotation_ids,
        load_id
    from control_thresholds
    where
        not is_skipped_only
        and (not is_in_review_queue or is_resolved_by_ground_truth)
        and n_annotations >= {{ var('concord_extract_min_annotations') }}
        and (agreement_threshold is null or coalesce(agreement >= agreement_threshold, false))
    {%- if min_posterior is not none %}
        and (weighted_label is null or coalesce({{ label }}_posterior >= {{ min_posterior }}, false))
        {%- endif %}
    {%- if controls | length > 0 %}
        and control_name in (
            {%- for name in controls %}'{{ name }}'{% if not loop.last %}, {% endif %}{% endfor -%}
        )
        {%- endif %}
)

select * from filtered
