{#- The select-list of one Label Studio result item (annotation or prediction: one macro for both,
    so the typed columns mean the same thing on both sides). `result` is the JSON of the item:
    {"id", "type", "from_name", "to_name", "value": {...}, "origin"?, "score"?, ...}.

    Typed columns by control type (label-studio.md section 4); numbers are read as numbers
    whatever JSON type they came as (5 vs 5.0 vs "5"), and every typed column is null when the
    value does not have that shape:
      choices          Choices                 value.choices          varchar[]
      rating           Rating                  value.rating           double
      number_value     Number                  value.number           double
      texts            TextArea                value.text (list)      varchar[]
      span_*           Labels on Text/HyperText value.start/end/text  bigint, bigint, varchar
      region_labels    any *labels control     value.<type>           varchar[]
      rect_*           RectangleLabels etc.    value.x/y/width/height/rotation (percent, degrees)
      pairwise_selected Pairwise               value.selected         varchar
      ranker_order     Ranker without buckets  value.ranker.<name>    varchar[]
      ranker_json      Ranker (any)            value.ranker           json
      taxonomy_paths   Taxonomy                value.taxonomy         varchar[][]
-#}
{% macro label_studio_result_columns(result) -%}
    {{ concord.json_text(result, '$.id') }} as region_id,
    {{ concord.json_text(result, '$.from_name') }} as control_name,
    {{ concord.json_text(result, '$.to_name') }} as to_name,
    lower({{ concord.json_text(result, '$.type') }}) as result_type,
    {{ concord.json_text(result, '$.origin') }} as origin,
    {{ concord.json_get(result, '$.value') }} as value_json,
    {{ concord.json_text_list(result, '$.value.choices') }} as choices,
    {{ concord.json_double(result, '$.value.rating') }} as rating,
    {{ concord.json_double(result, '$.value.number') }} as number_value,
    {{ concord.json_text_list(result, '$.value.text') }} as texts,
    {{ concord.json_bigint(result, '$.value.start') }} as span_start,
    {{ concord.json_bigint(result, '$.value.end') }} as span_end,
    case
        when {{ concord.json_type(result, '$.value.text') }} = 'VARCHAR'
            then {{ concord.json_text(result, '$.value.text') }}
    end as span_text,
    case
        when lower({{ concord.json_text(result, '$.type') }}) like '%labels'
            then {{ concord.json_text_list_at_key(result, '$.value', concord.json_text(result, '$.type')) }}
    end as region_labels,
    {{ concord.json_double(result, '$.value.x') }} as rect_x,
    {{ concord.json_double(result, '$.value.y') }} as rect_y,
    {{ concord.json_double(result, '$.value.width') }} as rect_width,
    {{ concord.json_double(result, '$.value.height') }} as rect_height,
    {{ concord.json_double(result, '$.value.rotation') }} as rect_rotation,
    {{ concord.json_bigint(result, '$.original_width') }} as original_width,
    {{ concord.json_bigint(result, '$.original_height') }} as original_height,
    case
        when {{ concord.json_type(result, '$.value.selected') }} = 'VARCHAR'
            then {{ concord.json_text(result, '$.value.selected') }}
    end as pairwise_selected,
    case
        when len({{ concord.json_object_keys(result, '$.value.ranker') }}) = 1
            and {{ concord.json_object_keys(result, '$.value.ranker') }}[1]
                = {{ concord.json_text(result, '$.from_name') }}
            then {{ concord.json_text_list_at_key(result, '$.value.ranker', concord.json_text(result, '$.from_name')) }}
    end as ranker_order,
    {{ concord.json_get(result, '$.value.ranker') }} as ranker_json,
    {{ concord.json_text_list_list(result, '$.value.taxonomy') }} as taxonomy_paths,
    coalesce({{ concord.json_bool(result, '$.concord_inferred_type') }}, false) as is_type_inferred
{%- endmacro %}
