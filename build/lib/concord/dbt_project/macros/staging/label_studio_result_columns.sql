{#- The select-list of one Label Studio result item (annotation or prediction: one macro for both,
    so the typed columns mean the same on both sides). `item` is the item parsed with
    label_studio_result_fields(), `value` its `value` parsed with label_studio_value_fields().

    Typed columns by control type (label-studio.md section 4); numbers are read as numbers
    whatever JSON type they came as (5 vs 5.0), and each typed column is null when the value does
    not have that shape:
      choices           Choices                  value.choices          varchar[]
      rating            Rating                   value.rating           double
      number_value      Number                   value.number           double
      texts             TextArea                 value.text (a list)    varchar[]
      span_start/end    Labels on Text           value.start/end        bigint (code points)
      span_text         Labels on Text           value.text (a string)  varchar
      region_labels     any *labels control      value.<type>           varchar[]
      rect_*            RectangleLabels, ...     value.x/y/width/height (percent), rotation (deg)
      pairwise_selected Pairwise                 value.selected         varchar
      ranker_order      Ranker without buckets   value.ranker.<name>    varchar[]
      ranker_json       Ranker (any)             value.ranker           json
      taxonomy_paths    Taxonomy                 value.taxonomy         varchar[][]
-#}
{% macro label_studio_result_columns(item, value) -%}
    {{ item }}.id as region_id,
    {{ item }}.from_name as control_name,
    {{ item }}.to_name as to_name,
    lower({{ item }}.type) as result_type,
    {{ item }}.origin as origin,
    {{ item }}.value as value_json,
    {{ value }}.choices as choices,
    {{ value }}.rating as rating,
    {{ value }}.number as number_value,
    case
        when {{ concord.json_type(value ~ '.text') }} = 'ARRAY'
            then {{ concord.json_text_list(value ~ '.text', '$') }}
    end as texts,
    {{ concord.json_bigint(value ~ '.start', '$') }} as span_start,
    {{ concord.json_bigint(value ~ '.end', '$') }} as span_end,
    case
        when {{ concord.json_type(value ~ '.text') }} = 'VARCHAR'
            then {{ concord.json_text(value ~ '.text', '$') }}
    end as span_text,
    case
        when lower({{ item }}.type) like '%labels' then coalesce(
            {%- for key in concord.label_studio_label_keys() %}
            {{ value }}.{{ key }},
            {%- endfor %}
            {{ concord.json_text_list_at_key(item ~ '.value', '$', 'lower(' ~ item ~ '.type)') }}
        )
    end as region_labels,
    {{ value }}.x as rect_x,
    {{ value }}.y as rect_y,
    {{ value }}.width as rect_width,
    {{ value }}.height as rect_height,
    {{ value }}.rotation as rect_rotation,
    cast({{ item }}.original_width as bigint) as original_width,
    cast({{ item }}.original_height as bigint) as original_height,
    case
        when {{ concord.json_type(value ~ '.selected') }} = 'VARCHAR'
            then {{ concord.json_text(value ~ '.selected', '$') }}
    end as pairwise_selected,
    case
        when {{ concord.list_length(concord.json_object_keys(value ~ '.ranker', '$')) }} = 1
            and {{ concord.list_contains(concord.json_object_keys(value ~ '.ranker', '$'), item ~ '.from_name') }}
            then {{ concord.json_text_list_at_key(value ~ '.ranker', '$', item ~ '.from_name') }}
    end as ranker_order,
    {{ value }}.ranker as ranker_json,
    {{ value }}.taxonomy as taxonomy_paths,
    coalesce({{ item }}.concord_inferred_type, false) as is_type_inferred
{%- endmacro %}
