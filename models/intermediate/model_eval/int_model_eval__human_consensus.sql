-- One row per (task, scalar control) with at least one human judgment: the human consensus.
-- consensus_key: the judgment (label, or number as text) given by the most annotations; null on a
--   tie for first place (no consensus, never an arbitrary pick).
-- consensus_share: annotations giving the most frequent judgment / annotations judging the control.
-- consensus_value (normalised, [0, 1]): Choices: the seed value of the consensus label (null on a
--   tie); Rating / Number: the median of the normalised values (numpy.median, ties interpolated).
-- Memory: every operator can spill to disk under CONCORD_MEMORY_LIMIT (millions of (task, control)
-- groups at 1M tasks): the median by rank (concord_grouped_median), distinct annotators counted
-- after a distinct, the modal key by row_number (concord_modal_key); the parts joined on their keys.
with

-- narrow: referenced more than once, so DuckDB materialises it
judgments as (
    select
        task_id,
        project_id,
        annotator_id,
        control_name,
        control_type,
        judgment_key,
        label_value,
        human_value
    from {{ ref('int_model_eval__human_judgments') }}
),

-- the most frequent key (the smallest of the tied ones) and how many keys tie for first place:
-- the majority rule, concord_modal_key
modal_keys as (
    {{ concord_modal_key('judgments', 'judgment_key') }}
),

per_control as (
    select
        task_id,
        control_name,
        min(project_id) as project_id,
        min(control_type) as control_type,
        count(*) as n_judgments,
        count(judgment_key) as n_keyed_judgments,
        count(human_value) as n_values,
        favg(human_value) as mean_value
    from judgments
    group by task_id, control_name
),

control_annotators as (
    select distinct
        task_id,
        control_name,
        annotator_id
    from judgments
),

annotator_counts as (
    select
        task_id,
        control_name,
        count(annotator_id) as n_annotators
    from control_annotators
    group by task_id, control_name
),

medians as (
    {{ concord_grouped_median('judgments', ['task_id', 'control_name'], 'human_value', 'median_value') }}
),

consensus_label_values as (
    select distinct
        task_id,
        control_name,
        judgment_key,
        label_value
    from judgments
),

consensus as (
    select
        per_control.task_id,
        per_control.control_name,
        per_control.project_id,
        per_control.control_type,
        per_control.n_judgments,
        per_control.n_keyed_judgments,
        annotator_counts.n_annotators,
        per_control.n_values,
        case when modal_keys.n_modal_keys = 1 then modal_keys.modal_key end as consensus_key,
        cast(modal_keys.n_modal as double) / nullif(per_control.n_keyed_judgments, 0) as consensus_share,
        case
            when per_control.control_type = 'choices' and modal_keys.n_modal_keys = 1
                then consensus_label_values.label_value
            when per_control.control_type in ('rating', 'number')
                then medians.median_value
        end as consensus_value,
        per_control.mean_value
    from per_control
    inner join annotator_counts
        on per_control.task_id = annotator_counts.task_id
        and per_control.control_name = annotator_counts.control_name
    left join medians
        on per_control.task_id = medians.task_id
        and per_control.control_name = medians.control_name
    left join modal_keys
        on per_control.task_id = modal_keys.task_id
        and per_control.control_name = modal_keys.control_name
    left join consensus_label_values
        on modal_keys.task_id = consensus_label_values.task_id
        and modal_keys.control_name = consensus_label_values.control_name
        and modal_keys.modal_key = consensus_label_values.judgment_key
)

select * from consensus
