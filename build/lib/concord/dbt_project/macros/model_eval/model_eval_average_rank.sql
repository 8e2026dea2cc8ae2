{#- Window expression: the 1-based rank of `value` within `partition_by`, ties given the average of
    the ranks they span (rank() + (number of ties - 1) / 2), i.e. scipy.stats.rankdata(method=
    'average'). Spearman's rho is Pearson's r over these ranks (model_eval_pearson), which is what
    scipy.stats.spearmanr computes, ties included.
    metric_version: spearman_v1 (average ranks for ties) -#}
{% macro model_eval_average_rank(value, partition_by) -%}
    (
        rank() over (partition by {{ partition_by }} order by {{ value }})
        + (count(*) over (partition by {{ partition_by }}, {{ value }}) - 1) / 2.0
    )
{%- endmacro %}
