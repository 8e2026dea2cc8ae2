{#- Jaccard similarity of two sets (lists of distinct elements):
        s(A, B) = |A n B| / |A u B|, 1 when both are empty (0 when only one is).
    Used by choices_jaccard (Enterprise "Jaccard Similarity"), taxonomy_jaccard (full paths,
    Enterprise "Common Labels Matches") and taxonomy_common_subtree (paths + ancestor prefixes,
    Enterprise "Common Subtree Matches").
    metric_version: 1, recorded in the agreement_metrics() registry (bump it there when this changes). -#}
{% macro metric_jaccard(set_a, set_b) -%}
    case
        when {{ concord_list_union_size(set_a, set_b) }} = 0 then 1.0
        {#- a ratio of counts, in [0, 1]; clamped like every pair score (metric_unit_interval) #}
        else {{ metric_unit_interval('cast(' ~ concord_list_intersect_size(set_a, set_b) ~ ' as double)
            / ' ~ concord_list_union_size(set_a, set_b)) }}
    end
{%- endmacro %}
