{#- span_iou, one pair of text spans on [start, end):
        IoU = max(0, min(end_a, end_b) - max(start_a, start_b))
              / (max(end_a, end_b) - min(start_a, start_b))   when the spans touch or overlap,
              0 when they are disjoint (touching spans share no character: IoU 0).
    A zero-length span equal to the other gives 1. Region matching (labels must match, best match
    per region in both directions, averaged) is metric_region_match_mean.
    Source: Label Studio Enterprise "Intersection over 1D regions".
    metric_version: 1, recorded in the agreement_metrics() registry (bump it there when this changes). -#}
{% macro metric_span_iou(start_a, end_a, start_b, end_b) -%}
    case
        when {{ start_a }} = {{ start_b }} and {{ end_a }} = {{ end_b }} then 1.0
        when least({{ end_a }}, {{ end_b }}) <= greatest({{ start_a }}, {{ start_b }}) then 0.0
        {#- offsets are integers, but a float offset (some exports) must not leave [0, 1] either #}
        else {{ metric_unit_interval('cast(least(' ~ end_a ~ ', ' ~ end_b ~ ') - greatest(' ~ start_a ~ ', ' ~ start_b ~ ') as double)
            / (greatest(' ~ end_a ~ ', ' ~ end_b ~ ') - least(' ~ start_a ~ ', ' ~ start_b ~ '))') }}
    end
{%- endmacro %}
