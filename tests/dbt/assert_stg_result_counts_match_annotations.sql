-- Every submitted annotation has exactly n_results rows in stg_label_studio__annotation_results
-- and stg_label_studio__annotation_relations together (a relation item is staged in the latter,
-- never as a control's result), and skipped annotations have none.
with

annotations as (
    select * from {{ ref('stg_label_studio__annotations') }}
),

results as (
    select annotation_id from {{ ref('stg_label_studio__annotation_results') }}
    union all
    select annotation_id from {{ ref('stg_label_studio__annotation_relations') }}
),

result_counts as (
    select
        annotation_id,
        count(*) as n_rows,
    from results
    group by annotation_id
),

mismatched as (
    select
        annotations.annotation_id,
        annotations.is_cancelled,
        annotations.n_results,
        coalesce(result_counts.n_rows, 0) as n_rows,
    from annotations
    left join result_counts
        on annotations.annotation_id = result_counts.annotation_id
    where (annotations.is_cancelled and coalesce(result_counts.n_rows, 0) > 0)
        or (not annotations.is_cancelled and coalesce(annotations.n_results, 0) != coalesce(result_counts.n_rows, 0))
)

select * from mismatched
