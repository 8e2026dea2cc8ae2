{#- box_iou for two unrotated boxes (x, y = top-left corner, w, h > 0; any consistent unit):
        inter = max(0, min(xa + wa, xb + wb) - max(xa, xb)) * max(0, min(ya + ha, yb + hb) - max(ya, yb))
        IoU   = inter / (wa * ha + wb * hb - inter)
    Rotated boxes go through agreement_rotated_box_intersections (exact polygon clipping).
    Source: Label Studio Enterprise "Intersection over Union" for RectangleLabels.
    metric_version: 1, recorded in the agreement_metrics() registry (bump it there when this changes). -#}
{% macro metric_box_iou_axis_aligned(xa, ya, wa, ha, xb, yb, wb, hb) -%}
    {%- set inter -%}
        (greatest(0.0, least({{ xa }} + {{ wa }}, {{ xb }} + {{ wb }}) - greatest({{ xa }}, {{ xb }}))
        * greatest(0.0, least({{ ya }} + {{ ha }}, {{ yb }} + {{ hb }}) - greatest({{ ya }}, {{ yb }})))
    {%- endset -%}
    {#- identical boxes are 1 exactly: (x + w) - x is not always w in floating point; the rest is
        clamped to [0, 1] for the same reason (metric_unit_interval) #}
    case
        when {{ xa }} = {{ xb }} and {{ ya }} = {{ yb }} and {{ wa }} = {{ wb }} and {{ ha }} = {{ hb }}
            and {{ wa }} * {{ ha }} > 0 then 1.0
        when {{ wa }} * {{ ha }} + {{ wb }} * {{ hb }} - {{ inter }} <= 0 then null
        else {{ metric_unit_interval(inter ~ ' / (' ~ wa ~ ' * ' ~ ha ~ ' + ' ~ wb ~ ' * ' ~ hb ~ ' - ' ~ inter ~ ')') }}
    end
{%- endmacro %}
