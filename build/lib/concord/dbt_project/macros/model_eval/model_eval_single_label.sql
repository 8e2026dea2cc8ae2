{#- The only element of a list of labels (Choices single pick); null when the list is null, empty
    or holds several picks. -#}
{% macro model_eval_single_label(list_column) -%}
    {{ return(adapter.dispatch('model_eval_single_label', 'concord')(list_column)) }}
{%- endmacro %}

{% macro duckdb__model_eval_single_label(list_column) -%}
    case when len({{ list_column }}) = 1 then {{ list_column }}[1] end
{%- endmacro %}

{% macro spark__model_eval_single_label(list_column) -%}
    case when size({{ list_column }}) = 1 then element_at({{ list_column }}, 1) end
{%- endmacro %}
