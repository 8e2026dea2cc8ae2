-- Span results point at their own text: task.data.text[start:end] == value.text, in code points
-- (ner_spans task 63 has a flag emoji before 'Nestlé'; UTF-16 offsets would be off by 2).
-- Only tasks whose data has a `text` field are checked.
with

tasks as (
    select * from {{ ref('stg_label_studio__tasks') }}
),

annotation_spans as (
    select task_id, annotation_result_id as result_id, span_start, span_end, span_text
    from {{ ref('stg_label_studio__annotation_results') }}
    where span_start is not null and span_text is not null
),

prediction_spans as (
    select task_id, prediction_result_id as result_id, span_start, span_end, span_text
    from {{ ref('stg_label_studio__prediction_results') }}
    where span_start is not null and span_text is not null
),

spans as (
    select * from annotation_spans
    union all
    select * from prediction_spans
),

mismatched as (
    select
        spans.*,
        substring({{ concord.json_text('tasks.data_json', '$.text') }}, spans.span_start + 1, spans.span_end - spans.span_start)
            as text_at_offsets,
    from spans
    inner join tasks
        on spans.task_id = tasks.task_id
    where {{ concord.json_text('tasks.data_json', '$.text') }} is not null
        and substring({{ concord.json_text('tasks.data_json', '$.text') }}, spans.span_start + 1, spans.span_end - spans.span_start)
            != spans.span_text
)

select * from mismatched
