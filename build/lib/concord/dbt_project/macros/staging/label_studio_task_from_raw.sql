{#- The stored task struct of raw_label_studio.tasks (ingest/schema.py RAW_TASK_SHAPE: ids as JSON
    numbers, every key of the export) as label_studio_task_structure(): a cast, not a parse. The
    reader already parsed the file at ingest; only snapshot-form prediction objects, kept as JSON
    elements because a sync export holds plain ids in the same list, are parsed here (ids become
    null elements, as before). -#}
{% macro label_studio_task_from_raw(column) -%}
    {{ return(adapter.dispatch('label_studio_task_from_raw', 'concord')(column)) }}
{%- endmacro %}

{% macro label_studio_task_without_predictions() -%}
    {%- set structure = {} -%}
    {%- for name, inner in concord.label_studio_task_structure().items() if name != 'predictions' -%}
        {%- do structure.update({name: inner}) -%}
    {%- endfor -%}
    {{ return(structure) }}
{%- endmacro %}

{% macro duckdb__label_studio_task_from_raw(column) -%}
    {%- set prediction = concord.label_studio_task_structure()['predictions'][0] -%}
    struct_insert(
        cast({{ column }} as {{ concord.duckdb__sql_structure(concord.label_studio_task_without_predictions()) }}),
        predictions := list_transform(
            {{ column }}.predictions,
            lambda p: case
                when starts_with(p::varchar, '{') then {{ concord.json_to_struct('p', prediction) }}
            end
        )
    )
{%- endmacro %}

{% macro spark__label_studio_task_from_raw(column) -%}
    {%- set prediction = concord.label_studio_task_structure()['predictions'][0] -%}
    struct(
        {%- for name in concord.label_studio_task_without_predictions() %}
        cast({{ column }}.`{{ name }}` as {{ concord.spark__json_structure(concord.label_studio_task_structure()[name]) }}) as `{{ name }}`,
        {%- endfor %}
        transform(
            {{ column }}.predictions,
            p -> case when left(p, 1) = '{' then {{ concord.json_to_struct('p', prediction) }} end
        ) as predictions
    )
{%- endmacro %}

{#- One top-level field `name` of the stored task struct, typed as label_studio_task_structure()[name]:
    exactly that field of label_studio_task_from_raw(), without casting the rest of the task. A
    model that needs only the drafts (or only the annotations) of a task casts only those: at 1M
    tasks casting the whole task costs ~3 s of CPU per reader (docs/staging.md). -#}
{% macro label_studio_task_field_from_raw(column, name) -%}
    {{ return(adapter.dispatch('label_studio_task_field_from_raw', 'concord')(column, name)) }}
{%- endmacro %}

{% macro duckdb__label_studio_task_field_from_raw(column, name) -%}
    {%- set structure = concord.label_studio_task_structure() -%}
    {%- if name == 'predictions' -%}
        list_transform(
            {{ column }}.predictions,
            lambda p: case
                when starts_with(p::varchar, '{') then {{ concord.json_to_struct('p', structure['predictions'][0]) }}
            end
        )
    {%- else -%}
        cast({{ column }}."{{ name }}" as {{ concord.duckdb__sql_structure(structure[name]) }})
    {%- endif -%}
{%- endmacro %}

{% macro spark__label_studio_task_field_from_raw(column, name) -%}
    {%- set structure = concord.label_studio_task_structure() -%}
    {%- if name == 'predictions' -%}
        transform(
            {{ column }}.predictions,
            p -> case when left(p, 1) = '{' then {{ concord.json_to_struct('p', structure['predictions'][0]) }} end
        )
    {%- else -%}
        cast({{ column }}.`{{ name }}` as {{ concord.spark__json_structure(structure[name]) }})
    {%- endif -%}
{%- endmacro %}
