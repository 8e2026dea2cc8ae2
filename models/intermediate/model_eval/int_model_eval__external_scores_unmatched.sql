-- External score rows that score no (non-deleted) task, with the reason: kept visible so a
-- mistyped key column or a stale table is noticed instead of silently shrinking the analysis.
with

external_scores as (
    select * from {{ ref('stg_scores__external_scores') }}
),

matched as (
    select distinct
        score_table_name,
        row_number
    from {{ ref('int_model_eval__external_scores_matched') }}
),

unmatched as (
    select
        external_scores.score_table_name,
        external_scores.row_number,
        external_scores.key_kind,
        external_scores.key_field,
        external_scores.key_value,
        external_scores.score,
        external_scores.model_version,
        case
            when external_scores.key_kind not in ('task_id', 'prediction_id', 'data_field')
                then 'unknown key_kind ' || coalesce(external_scores.key_kind, 'null')
            when
                external_scores.key_kind in ('task_id', 'prediction_id')
                and try_cast(external_scores.key_value as bigint) is null
                then 'key_value is not an integer id'
            else
                'no task with ' || external_scores.key_kind
                || coalesce(' ' || external_scores.key_field, '')
                || ' = '
                || coalesce(external_scores.key_value, 'null')
        end as unmatched_reason
    from external_scores
    left join matched
        on external_scores.score_table_name = matched.score_table_name
        and external_scores.row_number = matched.row_number
    where matched.score_table_name is null
)

select * from unmatched
