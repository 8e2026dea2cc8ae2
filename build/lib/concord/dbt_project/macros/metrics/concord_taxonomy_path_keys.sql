{#- Taxonomy picks (list of root-to-leaf paths) -> sorted distinct list of path keys (JSON text of
    each path). With include_ancestors=true every prefix of every path is a key too (the picked
    nodes plus all their ancestors: the "subtree" Enterprise's Common Subtree Matches compares). -#}
{% macro concord_taxonomy_path_keys(paths, include_ancestors=false) -%}
    {{ return(adapter.dispatch('concord_taxonomy_path_keys', 'concord')(paths, include_ancestors)) }}
{%- endmacro %}

{% macro duckdb__concord_taxonomy_path_keys(paths, include_ancestors) -%}
    {%- if include_ancestors -%}
    list_sort(list_distinct(flatten(list_transform(
        coalesce({{ paths }}, []),
        lambda path: list_transform(range(1, len(path) + 1), lambda depth: cast(to_json(path[1:depth]) as varchar))
    ))))
    {%- else -%}
    list_sort(list_distinct(list_transform(coalesce({{ paths }}, []), lambda path: cast(to_json(path) as varchar))))
    {%- endif -%}
{%- endmacro %}

{% macro spark__concord_taxonomy_path_keys(paths, include_ancestors) -%}
    {%- if include_ancestors -%}
    array_sort(array_distinct(flatten(transform(
        coalesce({{ paths }}, array()),
        path -> transform(sequence(1, size(path)), depth -> to_json(slice(path, 1, depth)))
    ))))
    {%- else -%}
    array_sort(array_distinct(transform(coalesce({{ paths }}, array()), path -> to_json(path))))
    {%- endif -%}
{%- endmacro %}
