{#- Parse the JSON in `column` ONCE into a typed value described by `structure`:
      - a type name: varchar, double, bigint, boolean, json (kept as JSON text);
      - a dict {field: structure} for an object (missing keys are null);
      - a one-element list [structure] for an array of that.
    A value that does not fit its structure is null (never an error): `result: {}` where a list
    is expected, a string where a number is expected, an id where an object is expected.

    Parsing once matters: a Label Studio task is kilobytes of JSON, and extracting N paths one by
    one parses it N times (docs/staging.md has the timings). -#}
{% macro json_to_struct(column, structure) -%}
    {{ return(adapter.dispatch('json_to_struct', 'concord')(column, structure)) }}
{%- endmacro %}

{% macro duckdb__json_structure(structure) -%}
    {%- set scalars = {
        'varchar': '"VARCHAR"', 'double': '"DOUBLE"', 'bigint': '"BIGINT"',
        'boolean': '"BOOLEAN"', 'json': '"JSON"',
    } -%}
    {%- if structure is mapping -%}
        {
        {%- for name, inner in structure.items() -%}
            "{{ name }}": {{ concord.duckdb__json_structure(inner) }}{% if not loop.last %}, {% endif %}
        {%- endfor -%}
        }
    {%- elif structure is string -%}
        {%- if structure.endswith('[]') -%}
            [{{ concord.duckdb__json_structure(structure[:-2]) }}]
        {%- else -%}
            {{ scalars[structure] }}
        {%- endif -%}
    {%- else -%}
        [{{ concord.duckdb__json_structure(structure[0]) }}]
    {%- endif -%}
{%- endmacro %}

{#- The SQL type of `structure` (DuckDB): STRUCT("id" BIGINT, ...), for casts. -#}
{% macro duckdb__sql_structure(structure) -%}
    {%- set scalars = {
        'varchar': 'VARCHAR', 'double': 'DOUBLE', 'bigint': 'BIGINT',
        'boolean': 'BOOLEAN', 'json': 'JSON',
    } -%}
    {%- if structure is mapping -%}
        STRUCT(
        {%- for name, inner in structure.items() -%}
            "{{ name }}" {{ concord.duckdb__sql_structure(inner) }}{% if not loop.last %}, {% endif %}
        {%- endfor -%}
        )
    {%- elif structure is string -%}
        {%- if structure.endswith('[]') -%}
            {{ concord.duckdb__sql_structure(structure[:-2]) }}[]
        {%- else -%}
            {{ scalars[structure] }}
        {%- endif -%}
    {%- else -%}
        {{ concord.duckdb__sql_structure(structure[0]) }}[]
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__json_to_struct(column, structure) -%}
    from_json({{ column }}, '{{ concord.duckdb__json_structure(structure) }}')
{%- endmacro %}

{% macro spark__json_structure(structure) -%}
    {%- set scalars = {
        'varchar': 'string', 'double': 'double', 'bigint': 'bigint', 'boolean': 'boolean',
        'json': 'string',
    } -%}
    {%- if structure is mapping -%}
        struct<
        {%- for name, inner in structure.items() -%}
            `{{ name }}`: {{ concord.spark__json_structure(inner) }}{% if not loop.last %}, {% endif %}
        {%- endfor -%}
        >
    {%- elif structure is string -%}
        {%- if structure.endswith('[]') -%}
            array<{{ concord.spark__json_structure(structure[:-2]) }}>
        {%- else -%}
            {{ scalars[structure] }}
        {%- endif -%}
    {%- else -%}
        array<{{ concord.spark__json_structure(structure[0]) }}>
    {%- endif -%}
{%- endmacro %}

{% macro spark__json_to_struct(column, structure) -%}
    from_json({{ column }}, '{{ concord.spark__json_structure(structure) }}')
{%- endmacro %}
