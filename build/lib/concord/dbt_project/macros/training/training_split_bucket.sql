{#- A task's place in [0, 1) for the train / validation / test split: the first 32 bits of
    md5('<seed>:<task_id>') over 2^32. Depends on the task id alone, so a task keeps its split when
    other tasks arrive. concord/extracts.py `split_bucket` computes the same number in Python. -#}
{% macro training_split_bucket(task_id, seed) -%}
    {{ return(adapter.dispatch('training_split_bucket', 'concord')(task_id, seed)) }}
{%- endmacro %}

{% macro duckdb__training_split_bucket(task_id, seed) -%}
    (cast(cast('0x' || substr(md5('{{ seed }}:' || cast({{ task_id }} as varchar)), 1, 8) as ubigint) as double) / 4294967296.0)
{%- endmacro %}

{% macro spark__training_split_bucket(task_id, seed) -%}
    (cast(conv(substr(md5(concat('{{ seed }}:', cast({{ task_id }} as string))), 1, 8), 16, 10) as double) / 4294967296.0)
{%- endmacro %}
