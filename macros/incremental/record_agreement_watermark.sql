{#
    on-run-end (dbt_project.yml): record what the incremental agreement models now hold
    (docs/incremental.md). Only when every model of the engine ran and succeeded in this
    invocation; otherwise the watermark stays where it was, and the next build rebuilds every
    task changed since then, and every task an engine model rewrote meanwhile
    (concord_state.agreement_pending_tasks, filled by record_pending_tasks). One transaction: a
    kill -9 leaves the old watermark and pending tasks, or the new ones.
#}
{% macro agreement_engine_models() -%}
    {{ return([
        'int_agreement__task_digests',
        'int_agreement__changed_tasks',
        'int_agreement__judgments',
        'int_agreement__judgment_values',
        'int_agreement__judgment_regions',
        'int_agreement__judgment_pairs_scored',
    ]) }}
{%- endmacro %}

{% macro record_agreement_watermark(results) -%}
    {#- only a run or build that executed the models: not compile, docs or test, not --empty #}
    {%- if execute and flags.WHICH in ['run', 'build'] and not flags.EMPTY -%}
        {%- set succeeded = [] -%}
        {%- set digests = {} -%}
        {%- for result in results -%}
            {%- if result.node.name in concord.agreement_engine_models() and result.status == 'success' -%}
                {%- do succeeded.append(result.node.name) -%}
            {%- endif -%}
            {%- if result.node.name == 'int_agreement__task_digests' -%}
                {#- the node's relation, not ref(): a hook cannot declare dependencies -#}
                {%- do digests.update({'relation': result.node.relation_name}) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if succeeded | unique | list | length == concord.agreement_engine_models() | length %}
begin transaction;
create schema if not exists concord_state;
create or replace table concord_state.agreement_watermark as
select task_id, project_id, content_digest, project_digest
from {{ digests['relation'] }};
create or replace table concord_state.agreement_pending_tasks (task_id bigint, rebuild_all boolean not null);
create or replace table concord_state.agreement_watermark_runs as
select '{{ invocation_id }}' as invocation_id, current_timestamp as recorded_at;
commit;
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#
    post-hook of every engine model (dbt_project.yml), in the model's own transaction: note the
    tasks it rewrote (the change feed; every task under --full-refresh) until the watermark
    records a complete build. A build killed, failed or run on part of the engine leaves them
    here, and int_agreement__changed_tasks rebuilds them even if their change was undone.
#}
{% macro record_pending_tasks() -%}
create schema if not exists concord_state;
create table if not exists concord_state.agreement_pending_tasks (task_id bigint, rebuild_all boolean not null);
insert into concord_state.agreement_pending_tasks
select changed.task_id, false from {{ ref('int_agreement__changed_tasks') }} as changed
{%- if flags.FULL_REFRESH %}
union all
select null, true
{%- endif %}
{%- endmacro %}
