{#- The top-level field of a JSON object whose name is held in a column / expression (not a literal),
    as text: used for the per-project Header score field and for score tables keyed on a data field.
    Null when absent. -#}
{% macro model_eval_json_field_text(json_column, field_expression) -%}
    {{ return(adapter.dispatch('model_eval_json_field_text', 'concord')(json_column, field_expression)) }}
{%- endmacro %}

{% macro duckdb__model_eval_json_field_text(json_column, field_expression) -%}
    json_extract_string({{ json_column }}, '$."' || replace({{ field_expression }}, '"', '\"') || '"')
{%- endmacro %}

{% macro spark__model_eval_json_field_text(json_column, field_expression) -%}
    get_json_object({{ json_column }}, concat('$.', {{ field_expression }}))
{%- endmacro %}
