-- One row per categorical vote: a submitted annotation's value (value_key) for a categorical
-- control of its task, the input of the Dawid-Skene EM (docs/agreement.md, "Dawid-Skene").
-- Categorical controls: Choices with choice="single", Pairwise, and Rating when named in var
-- concord_consensus_rating_as_categories (control names, or 'rating' for every Rating control).
-- With var concord_consensus_model_as_labeler, each prediction's value is one more vote, its
-- labeler 'model:<model_version>' (labeler_kind 'model').
-- Integer keys for the EM: dataset_id (one (project, control)), worker_key, label_key (labels of
-- the dataset in text order: the class order, which breaks ties of the weighted label).
{%- set rating_controls = var('concord_consensus_rating_as_categories') %}
{%- set model_as_labeler = var('concord_consensus_model_as_labeler') %}
with

judgments as (
    select
        judgment_id,
        judgment_kind,
        annotation_id,
        annotator_id,
        model_version
    from {{ ref('int_agreement__judgments') }}
    {%- if not model_as_labeler %}
        where judgment_kind = 'annotation'
    {%- endif %}
),

judgment_values as (
    select
        judgment_id,
        task_id,
        project_id,
        control_name,
        value_key
    from {{ ref('int_agreement__judgment_values') }}
    where value_key is not null
),

categorical_controls as (
    select
        project_id,
        control_name,
        control_type
    from {{ ref('int_agreement__control_settings') }}
    where
        (control_type = 'choices' and not is_multiple)
        or control_type = 'pairwise'
    {%- if rating_controls | length > 0 %}
        or (control_type = 'rating' and (
            {%- if 'rating' in rating_controls %} true {% else %} false {% endif -%}
            or control_name in ({% for name in rating_controls %}'{{ name }}'{% if not loop.last %}, {% endif %}{% endfor %})
        ))
        {%- endif %}
),

votes as (
    select
        judgment_values.project_id,
        judgment_values.control_name,
        categorical_controls.control_type,
        judgment_values.task_id,
        judgments.judgment_id,
        case
            when judgments.judgment_kind = 'prediction'
                then
                    'model:' || coalesce(judgments.model_version, '{{ var("model_eval_unversioned_label") }}')
            -- an annotation without an annotator id is its own labeler
            when judgments.annotator_id is null
                then 'annotation:' || cast(judgments.annotation_id as {{ dbt.type_string() }})
            else 'annotator:' || cast(judgments.annotator_id as {{ dbt.type_string() }})
        end as labeler_id,
        case when judgments.judgment_kind = 'prediction' then 'model' else 'human' end as labeler_kind,
        judgment_values.value_key as label
    from judgment_values
    inner join judgments
        on judgment_values.judgment_id = judgments.judgment_id
    inner join categorical_controls
        on judgment_values.project_id = categorical_controls.project_id
        and judgment_values.control_name = categorical_controls.control_name
),

final as (
    select
        *,
        cast(dense_rank() over (order by project_id, control_name) as integer) as dataset_id,
        cast(dense_rank() over (order by labeler_id) as integer) as worker_key,
        cast(dense_rank() over (partition by project_id, control_name order by label) as integer) as label_key
    from votes
)

select * from final
