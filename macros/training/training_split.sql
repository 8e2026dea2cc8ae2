{#- train / validation / test from a split bucket in [0, 1) (training_split_bucket): train below
    train_ratio, validation below train_ratio + validation_ratio, test above. The one definition:
    fct_training_candidates(_by_control) and the extract filters (training_examples) use it. -#}
{% macro training_split(bucket, train_ratio, validation_ratio) -%}
    case
        when {{ bucket }} < {{ train_ratio }} then 'train'
        when {{ bucket }} < {{ train_ratio }} + {{ validation_ratio }} then 'validation'
        else 'test'
    end
{%- endmacro %}
