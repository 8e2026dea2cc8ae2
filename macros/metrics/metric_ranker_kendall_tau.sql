{#- ranker_kendall_tau: Kendall's tau-a between two rankings (lists of item ids, best first) over
    the n items both contain, mapped to [0, 1]:
        tau = (concordant - discordant) / (n (n - 1) / 2),   s = (tau + 1) / 2
    n < 2 common items: exact match of the two lists. Source: Kendall (1938).
    metric_version: 1, recorded in the agreement_metrics() registry (bump it there when this changes). -#}
{% macro metric_ranker_kendall_tau(order_a, order_b) -%}
    {#- clamped to [0, 1] here, for every engine: a mean of per-item scores can round past 1 #}
    {{ return(metric_unit_interval(adapter.dispatch('metric_ranker_kendall_tau', 'concord')(order_a, order_b))) }}
{%- endmacro %}

{% macro duckdb__metric_ranker_kendall_tau(order_a, order_b) -%}
    {%- set common = 'list_filter(' ~ order_a ~ ', lambda item: list_contains(' ~ order_b ~ ', item))' -%}
    case
        when len({{ common }}) < 2 then case when {{ order_a }} = {{ order_b }} then 1.0 else 0.0 end
        else (
            list_sum(list_transform(range(1, len({{ common }}) + 1), lambda i:
                list_sum(list_transform(range(i + 1, len({{ common }}) + 1), lambda j:
                    sign(list_position({{ order_b }}, {{ common }}[j]) - list_position({{ order_b }}, {{ common }}[i]))
                ))
            )) / (len({{ common }}) * (len({{ common }}) - 1) / 2.0) + 1.0
        ) / 2.0
    end
{%- endmacro %}

{% macro spark__metric_ranker_kendall_tau(order_a, order_b) -%}
    {%- set common = 'filter(' ~ order_a ~ ', item -> array_contains(' ~ order_b ~ ', item))' -%}
    case
        when size({{ common }}) < 2 then case when {{ order_a }} = {{ order_b }} then 1.0D else 0.0D end
        else (
            aggregate(transform(sequence(1, size({{ common }})), i ->
                aggregate(transform(sequence(i, size({{ common }})), j ->
                    case when j = i then 0 else sign(array_position({{ order_b }}, element_at({{ common }}, j))
                        - array_position({{ order_b }}, element_at({{ common }}, i))) end
                ), 0D, (acc, x) -> acc + x)
            ), 0D, (acc, x) -> acc + x) / (size({{ common }}) * (size({{ common }}) - 1) / 2.0D) + 1.0D
        ) / 2.0D
    end
{%- endmacro %}
