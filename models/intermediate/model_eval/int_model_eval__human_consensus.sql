-- One row per (task, scalar control) with at least one human judgment: the human consensus.
-- consensus_key: the judgment (label, or number as text) given by the most annotations; null on a
--   tie for first place (no consensus, never an arbitrary pick).
-- consensus_share: annotations giving the most frequent judgment / annotations judging the control.
-- consensus_value (normalised, [0, 1]): Choices: the seed value of the consensus label (null on a
--   tie); Rating / Number: the median of the normalised values (numpy.median, ties interpolated).
with

judgments as (
    select * from {{ ref('int_model_eval__human_judgments') }}
),

key_counts as (
    select
        task_id,
        control_name,
        judgment_key,
        count(*) as n_with_key,
    from judgments
    where judgment_key is not null
    group by task_id, control_name, judgment_key
),

key_ranked as (
    select
        *,
        rank() over (partition by task_id, control_name order by n_with_key desc) as key_rank,
    from key_counts
),

modal_keys as (
    select
        task_id,
        control_name,
        max(n_with_key) as n_modal,
        count(*) as n_modal_keys,
        min(judgment_key) as modal_key,
    from key_ranked
    where key_rank = 1
    group by task_id, control_name
),

per_control as (
    select
        task_id,
        control_name,
        min(project_id) as project_id,
        min(control_type) as control_type,
        count(*) as n_judgments,
        count(judgment_key) as n_keyed_judgments,
        count(distinct annotator_id) as n_annotators,
        count(human_value) as n_values,
        avg(human_value) as mean_value,
        {{ model_eval_median('human_value') }} as median_value,
    from judgments
    group by task_id, control_name
),

consensus_label_values as (
    select distinct
        task_id,
        control_name,
        judgment_key,
        label_value,
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
        per_control.n_annotators,
        per_control.n_values,
        case when modal_keys.n_modal_keys = 1 then modal_keys.modal_key end as consensus_key,
        cast(modal_keys.n_modal as double) / nullif(per_control.n_keyed_judgments, 0) as consensus_share,
        case
            when per_control.control_type = 'choices' and modal_keys.n_modal_keys = 1
                then consensus_label_values.label_value
            when per_control.control_type in ('rating', 'number')
                then per_control.median_value
        end as consensus_value,
        per_control.mean_value,
    from per_control
    left join modal_keys
        on per_control.task_id = modal_keys.task_id
        and per_control.control_name = modal_keys.control_name
    left join consensus_label_values
        on modal_keys.task_id = consensus_label_values.task_id
        and modal_keys.control_name = consensus_label_values.control_name
        and modal_keys.modal_key = consensus_label_values.judgment_key
)

select * from consensus
