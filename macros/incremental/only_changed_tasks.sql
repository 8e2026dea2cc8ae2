{#
    The filter of every input of an incremental agreement model (docs/incremental.md): on an
    incremental run, only the rows of the tasks in int_agreement__changed_tasks; on a full build
    (first build, --full-refresh), every row. The model must also declare
    `-- depends_on: {{ ref('int_agreement__changed_tasks') }}` (dbt cannot see a ref that only an
    incremental run renders).
#}
{% macro only_changed_tasks(task_id='task_id') -%}
    {%- if is_incremental() %}
    where {{ task_id }} in (select changed.task_id from {{ ref('int_agreement__changed_tasks') }} as changed)
    {%- endif %}
{%- endmacro %}
