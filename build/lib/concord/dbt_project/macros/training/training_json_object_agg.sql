{#- Aggregate (key, JSON value text) pairs into one JSON object, keys sorted: deterministic text,
    so extracts written from it are byte-identical run to run.
    A window function over the rows sharing partition_by (every row of a partition gets the
    partition's object; keep one per partition, e.g. row_number() = 1 over the same window), not a
    grouped aggregate: DuckDB cannot spill ordered string_agg states, and at 1M tasks the objects
    (~560 MB of text) ran out of memory under CONCORD_MEMORY_LIMIT; a window sorts and spills.
    Usage: training_json_object_agg('control_name', training_json_object([...]), 'task_id') -#}
{% macro training_json_object_agg(key, value_json, partition_by) -%}
    {{ return(adapter.dispatch('training_json_object_agg', 'concord')(key, value_json, partition_by)) }}
{%- endmacro %}

{% macro duckdb__training_json_object_agg(key, value_json, partition_by) -%}
    ('{' || string_agg(cast(to_json({{ key }}) as varchar) || ':' || cast({{ value_json }} as varchar), ',' order by {{ key }}) over (
        partition by {{ partition_by }}
        order by {{ key }}
        rows between unbounded preceding and unbounded following
    ) || '}')
{%- endmacro %}

{% macro spark__training_json_object_agg(key, value_json, partition_by) -%}
    concat('{', array_join(transform(array_sort(collect_list(struct({{ key }} as k, {{ value_json }} as v)) over (partition by {{ partition_by }})), x -> concat(to_json(array(x.k)), ':', x.v)), ','), '}')
{%- endmacro %}
