{#- Region matching used by span_iou and box_iou (Label Studio Enterprise's documented method):
    every region of A takes its best IoU among B's regions with the same labels (0 if none), every
    region of B its best among A's, and the score is the mean over all regions of both sides:
        s(A, B) = (sum_{r in A} best_B(r) + sum_{r in B} best_A(r)) / (|A| + |B|)
    Symmetric by construction. Enterprise's example: two regions per side with best IoUs 0.71 and
    0.35 each way -> (0.71 + 0.35 + 0.71 + 0.35) / 4 = 0.53. Both sides without regions: 1.
    metric_version: 1, recorded in the agreement_metrics() registry (bump it there when this changes). -#}
{% macro metric_region_match_mean(sum_best_a, sum_best_b, n_regions_a, n_regions_b) -%}
    case
        when coalesce({{ n_regions_a }}, 0) + coalesce({{ n_regions_b }}, 0) = 0 then 1.0
        {#- a mean of values in [0, 1]; clamped so a summation rounding error cannot leave it #}
        else {{ metric_unit_interval('(coalesce(' ~ sum_best_a ~ ', 0.0) + coalesce(' ~ sum_best_b ~ ', 0.0))
            / (coalesce(' ~ n_regions_a ~ ', 0) + coalesce(' ~ n_regions_b ~ ', 0))') }}
    end
{%- endmacro %}
