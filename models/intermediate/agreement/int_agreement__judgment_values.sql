-- One row per (judgment, control) the judgment has at least one result for: the judgment's value
-- for that control in canonical form (label set, number, text lines, order, taxonomy keys) and its
-- value_key (what exact match and consensus compare). Region controls keep their regions in
-- int_agreement__judgment_regions; here they carry n_regions.
-- incremental by task (docs/incremental.md): every per-task input goes through only_changed_tasks
-- depends_on: {{ ref('int_agreement__changed_tasks') }}, {{ ref('int_agreement__task_digests') }}
with

judgments as (
    select * from {{ ref('int_agreement__judgments') }}
    {{ concord.only_changed_tasks() }}
),

annotation_results as (
    select * from {{ ref('stg_label_studio__annotation_results') }}
    {{ concord.only_changed_tasks() }}
),

prediction_results as (
    select * from {{ ref('stg_label_studio__prediction_results') }}
    {{ concord.only_changed_tasks() }}
),

control_settings as (
    select * from {{ ref('int_agreement__control_settings') }}
),

{%- set result_columns -%}
        control_name,
        result_index,
        choices,
        coalesce(rating, number_value) as number_value,
        texts,
        span_start,
        span_end,
        rect_x,
        pairwise_selected,
        ranker_order,
        taxonomy_paths,
{%- endset %}

results as (
    select
        annotation_id * 2 as judgment_key,
        {{ result_columns }}
    from annotation_results
    union all
    select
        prediction_id * 2 + 1 as judgment_key,
        {{ result_columns }}
    from prediction_results
),

-- (judgment, control) groups with more than one result (region controls, repeated textareas). Most
-- groups hold one result: only these few go through list aggregation, whose per-group states
-- DuckDB cannot spill to disk (a count per group can).
multi_result_groups as (
    select
        judgment_key,
        control_name,
        count(*) as n_results
    from results
    where control_name is not null
    group by judgment_key, control_name
    having count(*) > 1
),

judgment_results as (
    select
        judgments.judgment_id,
        judgments.judgment_key,
        judgments.judgment_kind,
        judgments.task_id,
        judgments.project_id,
        results.control_name,
        results.result_index,
        results.choices,
        results.number_value,
        results.texts,
        results.pairwise_selected,
        results.ranker_order,
        results.taxonomy_paths,
        results.span_start is not null or results.rect_x is not null as is_region,
        multi_result_groups.judgment_key is not null as is_multi_result
    from results
    inner join judgments
        on results.judgment_key = judgments.judgment_key
    left join multi_result_groups
        on results.judgment_key = multi_result_groups.judgment_key
        and results.control_name = multi_result_groups.control_name
    where results.control_name is not null
),

-- a one-result group: the same expressions as the aggregation below, applied to a list of one
single_result_values as (
    select
        judgment_key,
        judgment_id,
        judgment_kind,
        task_id,
        project_id,
        control_name,
        {{ concord_list_sorted_distinct(concord_list_flatten(concord_list_of('choices'))) }} as choice_set,
        cast(number_value as double) as number_value,
        {{ concord_list_flatten(concord_list_of('texts')) }} as text_lines,
        pairwise_selected,
        {{ concord_list_flatten(concord_list_of('ranker_order')) }} as ranker_order,
        {{ concord_list_flatten(concord_list_of('taxonomy_paths')) }} as taxonomy_paths,
        cast(case when is_region then 1 else 0 end as bigint) as n_regions,
        cast(1 as bigint) as n_results
    from judgment_results
    where not is_multi_result
),

multi_result_values as (
    select
        judgment_key,
        min(judgment_id) as judgment_id,
        min(judgment_kind) as judgment_kind,
        min(task_id) as task_id,
        project_id,
        control_name,
        {{ concord_list_sorted_distinct(concord_list_flatten(concord_list_agg('choices'))) }} as choice_set,
        favg(number_value) as number_value,
        {{ concord_list_flatten(concord_list_agg('texts', 'result_index')) }} as text_lines,
        max(pairwise_selected) as pairwise_selected,
        {{ concord_list_flatten(concord_list_agg('ranker_order', 'result_index')) }} as ranker_order,
        {{ concord_list_flatten(concord_list_agg('taxonomy_paths', 'result_index')) }} as taxonomy_paths,
        count(case when is_region then 1 end) as n_regions,
        count(*) as n_results
    from judgment_results
    where is_multi_result
    group by judgment_key, project_id, control_name
),

aggregated as (
    select * from single_result_values
    union all
    select * from multi_result_values
),

with_keys as (
    select
        aggregated.*,
        control_settings.control_type,
        control_settings.control_key,
        case
            when control_settings.control_type = 'taxonomy'
                then {{ concord_taxonomy_path_keys('aggregated.taxonomy_paths') }}
        end as taxonomy_path_keys,
        case
            when control_settings.control_type = 'taxonomy'
                then {{ concord_taxonomy_path_keys('aggregated.taxonomy_paths', include_ancestors=true) }}
        end as taxonomy_node_keys
    from aggregated
    inner join control_settings
        on aggregated.project_id = control_settings.project_id
        and aggregated.control_name = control_settings.control_name
),

final as (
    select
        *,
        case
            when control_type = 'choices'
                then case
                    when {{ concord_list_size('choice_set') }} = 1 then {{ concord_list_first('choice_set') }}
                    else {{ concord_to_json_text('choice_set') }}
                end
            when control_type in ('rating', 'number') then cast(number_value as {{ dbt.type_string() }})
            when control_type = 'textarea' then {{ concord_to_json_text('text_lines') }}
            when control_type = 'pairwise' then pairwise_selected
            when control_type = 'ranker' then {{ concord_to_json_text('ranker_order') }}
            when
                control_type = 'taxonomy'
                then {{ concord_to_json_text(concord_list_sorted_distinct('taxonomy_paths')) }}
        end as value_key
    from with_keys
)

select * from final
