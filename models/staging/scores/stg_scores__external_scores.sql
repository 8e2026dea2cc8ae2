-- One row per row of an external score table, with the key it joins on. The key is kept as text
-- (key_value) and, for id keys, cast to the id it names; data_field keys are resolved against
-- task.data by later stages.
with

score_tables as (
    select * from {{ source('scores', 'score_tables') }}
),

score_rows as (
    select * from {{ source('scores', 'score_rows') }}
),

joined as (
    select
        score_rows.score_table_name,
        score_rows.row_number,
        score_tables.key_kind,
        score_tables.key_field,
        score_rows.key_value,
        case
            when score_tables.key_kind = 'task_id' then try_cast(score_rows.key_value as bigint)
        end as key_task_id,
        case
            when score_tables.key_kind = 'prediction_id' then try_cast(score_rows.key_value as bigint)
        end as key_prediction_id,
        score_rows.model_version,
        score_tables.file_name,
        score_rows.score,
        score_rows.extra_json,
        score_rows.scored_at,
        score_rows.load_id
    from score_rows
    inner join score_tables
        on score_rows.score_table_name = score_tables.score_table_name
)

select * from joined
