{#- A stable negative user id derived from an email (case-insensitive), for annotators an export
    names by email only: Label Studio user ids are >= 1 and the unknown annotator is 0. -#}
{% macro email_user_id(email) -%}
    {{ return(adapter.dispatch('email_user_id', 'concord')(email)) }}
{%- endmacro %}

{% macro duckdb__email_user_id(email) -%}
    (-1 - (hash(lower({{ email }})) >> 2)::bigint)
{%- endmacro %}

{% macro spark__email_user_id(email) -%}
    (-1 - abs(xxhash64(lower({{ email }}))) / 2)
{%- endmacro %}
