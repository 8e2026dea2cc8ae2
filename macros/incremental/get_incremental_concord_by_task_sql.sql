{#
    Incremental strategy `concord_by_task` (docs/incremental.md): replace the rows of the changed
    tasks. dbt's delete+insert deletes only the keys present in the new rows, so a task that now
    produces no rows (deleted, erased, every annotation skipped) would keep its old ones; this
    deletes every changed task first, and every task the staging layer no longer has, then
    inserts the new rows. dbt-duckdb runs both statements in the model's one transaction.
#}
{% macro get_incremental_concord_by_task_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ target }} as target_rows
    where
        target_rows.task_id in (
            select changed.task_id from {{ ref('int_agreement__changed_tasks') }} as changed
        )
        or not exists (
            select 1 from {{ ref('int_agreement__task_digests') }} as digests
            where digests.task_id = target_rows.task_id
        );
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}
