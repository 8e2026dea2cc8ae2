{#- The training-set filters: their one definition (docs/governance.md, "Filters").

    Rendered twice from the same Jinja, so a dbt model and `concord extract` cannot disagree:
      - fct_training_examples(_by_control) render it with the dbt vars as SQL literals
        (training_examples_var_args), so `dbt build` alone gives the default training set;
      - the build creates the DuckDB table macros training_examples(...) and
        training_examples_by_control(...) in the warehouse from it, with macro parameters in
        place of the literals (training_create_table_macro, post-hooks of
        fct_training_examples); `concord extract` calls them with its options.

    The rules, over fct_training_candidates(_by_control):
      - not skipped-only; not in fct_review_queue unless a ground-truth annotation resolves it;
        n_annotations >= min_annotations;
      - agreement threshold of a control: its own (threshold_names / threshold_values), else
        min_agreement when the control has an agreement metric, else none (not gated). A gated
        control passes when agreement >= its threshold (NULL agreement fails). Per task: with any
        threshold set, the task needs at least one gated control and every one passing
        (concord_compare: the agreement rounded to 12 decimals, so float noise cannot fail a
        value that is at its threshold);
      - label: majority -> labels_json / consensus_value; weighted -> weighted_labels_json /
        the Dawid-Skene label on categorical controls;
      - min_posterior (NULL: off): every categorical control's label has at least that
        posterior (a tied majority has none and fails); other controls are not gated;
      - controls (per control only; empty: all): the controls kept;
      - split: training_split(split_bucket, train_ratio, validation_ratio).

    args: a dict of SQL expressions for min_annotations, min_agreement (double, NULL: none),
    threshold_names (varchar[]), threshold_values (double[]), label (varchar), min_posterior
    (double, NULL: off), train_ratio, validation_ratio, controls (varchar[]). -#}

{#- Not skipped-only, and not in the review queue unless ground truth resolves it. -#}
{% macro training_is_eligible() -%}
    not is_skipped_only
    and (not is_in_review_queue or is_resolved_by_ground_truth)
{%- endmacro %}

{% macro training_agreement_threshold(args) -%}
    coalesce(
        list_extract({{ args.threshold_values }}, list_position({{ args.threshold_names }}, control_name)),
        case when has_agreement_metric then {{ args.min_agreement }} end
    )
{%- endmacro %}

{% macro training_examples_sql(candidates, control_candidates, args) %}
with

te_gated_controls as (
    select
        task_id,
        coalesce({{ concord_compare('agreement', '>=', 'agreement_threshold') }}, false) as passes
    from (
        select
            task_id,
            agreement,
            {{ training_agreement_threshold(args) }} as agreement_threshold
        from {{ control_candidates }}
        where {{ training_is_eligible() }}
    ) as thresholds
    where agreement_threshold is not null
),

te_gated_tasks as (
    select task_id
    from te_gated_controls
    group by task_id
    having bool_and(passes)
)

select
    task_id,
    project_id,
    ext_id,
    {{ training_split('split_bucket', args.train_ratio, args.validation_ratio) }} as split,
    data_json,
    case
        when {{ args.label }} = 'weighted' then weighted_labels_json else labels_json
    end as labels_json,
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
from {{ candidates }}
where
    {{ training_is_eligible() }}
    and n_annotations >= {{ args.min_annotations }}
    and (
        ({{ args.min_agreement }} is null and len({{ args.threshold_names }}) = 0)
        or task_id in (select te_gated_tasks.task_id from te_gated_tasks)
    )
    and (
        {{ args.min_posterior }} is null
        or coalesce(
            {{ concord_compare(
                "case when " ~ args.label ~ " = 'weighted' then min_weighted_posterior"
                ~ " else min_majority_posterior end",
                '>=', args.min_posterior
            ) }},
            true
        )
    )
{% endmacro %}

{% macro training_examples_by_control_sql(control_candidates, args) %}
select
    task_id,
    project_id,
    ext_id,
    control_name,
    control_type,
    {{ training_split('split_bucket', args.train_ratio, args.validation_ratio) }} as split,
    data_json,
    case
        when {{ args.label }} = 'weighted' then coalesce(weighted_label, consensus_value)
        else consensus_value
    end as consensus_value,
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
from (
    select
        *,
        {{ training_agreement_threshold(args) }} as agreement_threshold
    from {{ control_candidates }}
) as thresholds
where
    {{ training_is_eligible() }}
    and n_annotations >= {{ args.min_annotations }}
    and (
        agreement_threshold is null
        or coalesce({{ concord_compare('agreement', '>=', 'agreement_threshold') }}, false)
    )
    and (
        {{ args.min_posterior }} is null
        or weighted_label is null
        or coalesce(
            {{ concord_compare(
                "case when " ~ args.label ~ " = 'weighted' then weighted_posterior"
                ~ " else majority_posterior end",
                '>=', args.min_posterior
            ) }},
            false
        )
    )
    and (len({{ args.controls }}) = 0 or list_contains({{ args.controls }}, control_name))
{% endmacro %}

{#- The dbt vars as SQL literals: the default extract's arguments. -#}
{% macro training_examples_var_args() %}
    {%- set label = var('concord_extract_label') %}
    {%- if label not in ('majority', 'weighted') %}
        {{ exceptions.raise_compiler_error("var concord_extract_label: expected majority or weighted, got " ~ label) }}
    {%- endif %}
    {%- set by_control = var('concord_extract_min_agreement_by_control') %}
    {%- set min_agreement = var('concord_extract_min_agreement') %}
    {%- set min_posterior = var('concord_extract_min_posterior') %}
    {%- set ratios = var('concord_extract_split') %}
    {%- set names = [] %}
    {%- set values = [] %}
    {%- for name, threshold in by_control.items() %}
        {%- do names.append("'" ~ name ~ "'") %}
        {%- do values.append(threshold | float) %}
    {%- endfor %}
    {%- set controls = [] %}
    {%- for name in var('concord_extract_controls') %}
        {%- do controls.append("'" ~ name ~ "'") %}
    {%- endfor %}
    {{ return({
        'min_annotations': var('concord_extract_min_annotations') | int,
        'min_agreement': 'cast(' ~ ('null' if min_agreement is none else min_agreement) ~ ' as double)',
        'threshold_names': 'cast([' ~ names | join(', ') ~ '] as varchar[])',
        'threshold_values': 'cast([' ~ values | join(', ') ~ '] as double[])',
        'label': "'" ~ label ~ "'",
        'min_posterior': 'cast(' ~ ('null' if min_posterior is none else min_posterior) ~ ' as double)',
        'train_ratio': 'cast(' ~ ratios[0] ~ ' as double)',
        'validation_ratio': 'cast(' ~ ratios[1] ~ ' as double)',
        'controls': 'cast([' ~ controls | join(', ') ~ '] as varchar[])',
    }) }}
{% endmacro %}

{#- The table macros `concord extract` calls (concord/extracts.py), parameters in place of the
    vars; created in the main schema by the build. -#}
{% macro training_create_table_macro(grain) %}
    {%- set args = {
        'min_annotations': 'p_min_annotations',
        'min_agreement': 'p_min_agreement',
        'threshold_names': 'p_threshold_names',
        'threshold_values': 'p_threshold_values',
        'label': 'p_label',
        'min_posterior': 'p_min_posterior',
        'train_ratio': 'p_train_ratio',
        'validation_ratio': 'p_validation_ratio',
        'controls': 'p_controls',
    } %}
    {%- set candidates = ref('fct_training_candidates').include(database=False) %}
    {%- set control_candidates = ref('fct_training_candidates_by_control').include(database=False) %}
    {%- if grain == 'task' %}
create or replace macro main.training_examples(
    p_min_annotations, p_min_agreement, p_threshold_names, p_threshold_values, p_label,
    p_min_posterior, p_train_ratio, p_validation_ratio
) as table
{{ training_examples_sql(candidates, control_candidates, args) }}
    {%- else %}
create or replace macro main.training_examples_by_control(
    p_min_annotations, p_min_agreement, p_threshold_names, p_threshold_values, p_label,
    p_min_posterior, p_train_ratio, p_validation_ratio, p_controls
) as table
{{ training_examples_by_control_sql(control_candidates, args) }}
    {%- endif %}
{% endmacro %}
