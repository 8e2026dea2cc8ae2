{#- The `value` keys of Label Studio's *labels controls (the key is the control's type). -#}
{% macro label_studio_label_keys() -%}
    {{ return([
        'labels', 'rectanglelabels', 'polygonlabels', 'ellipselabels', 'keypointlabels',
        'brushlabels', 'hypertextlabels', 'paragraphlabels', 'timeserieslabels',
    ]) }}
{%- endmacro %}
