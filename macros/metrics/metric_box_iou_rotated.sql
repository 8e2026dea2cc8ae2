{#- box_iou for two rotated boxes, from their exact intersection area
    (agreement_rotated_box_intersections, convex polygon clipping):
        IoU = inter / (wa * ha + wb * hb - inter)
    Identical boxes (same corner, size and rotation) are 1 exactly: the clipped polygon's area
    comes out a hair above or below w * h in floating point. Everything else is clamped to [0, 1]
    (metric_unit_interval) for the same reason. NULL when both boxes have no area.
    Source: Label Studio Enterprise "Intersection over Union" for RectangleLabels.
    metric_version: 1 (box_iou), recorded in the agreement_metrics() registry. -#}
{% macro metric_box_iou_rotated(inter, xa, ya, wa, ha, ra, xb, yb, wb, hb, rb) -%}
    case
        when {{ xa }} = {{ xb }} and {{ ya }} = {{ yb }} and {{ wa }} = {{ wb }} and {{ ha }} = {{ hb }}
            and {{ ra }} = {{ rb }} and {{ wa }} * {{ ha }} > 0 then 1.0
        else {{ metric_unit_interval(inter ~ ' / nullif(' ~ wa ~ ' * ' ~ ha ~ ' + ' ~ wb ~ ' * ' ~ hb ~ ' - ' ~ inter ~ ', 0)') }}
    end
{%- endmacro %}
