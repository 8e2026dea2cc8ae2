{#- The majority rule, its one definition: per (task_id, control_name) of relation, the most
    frequent non-null key_column among the rows that match where_clause, as a query (use it as a
    CTE body). Columns: task_id, control_name, modal_key (the most frequent key; among keys tied
    for first place, the smallest, so callers can tell a tie and refuse it), n_modal (the rows
    giving it) and n_modal_keys (how many keys tie for first place: 1 means a majority).
    fct_control_agreement (majority value), int_model_eval__human_consensus (consensus key) and
    fct_consensus_labels (majority label) all take their majority from it.
    The key picked by row_number, not by an arg_max aggregate: a window sorts and spills under
    CONCORD_MEMORY_LIMIT with millions of (task, control) groups. -#}
{% macro concord_modal_key(relation, key_column, where_clause='true') -%}
    select
        task_id,
        control_name,
        key_value as modal_key,
        n_with_key as n_modal,
        n_keys_with_same_count as n_modal_keys
    from (
        select
            *,
            row_number()
                over (partition by task_id, control_name order by n_with_key desc, key_value asc)
                as key_rank,
            count(*) over (partition by task_id, control_name, n_with_key) as n_keys_with_same_count
        from (
            select
                task_id,
                control_name,
                {{ key_column }} as key_value,
                count(*) as n_with_key
            from {{ relation }}
            where {{ key_column }} is not null and ({{ where_clause }})
            group by task_id, control_name, {{ key_column }}
        ) as key_counts
    ) as ranked_keys
    where key_rank = 1
{%- endmacro %}
