{#- The ORDER BY that ranks a task's scores when one must be picked: the score sources in the
    order given (the delta sources of var model_eval_delta_score_sources first), then source,
    score name and the newest model version. The training candidate marts rank with it. -#}
{% macro model_eval_score_preference(sources) -%}
    case score_source
        {%- for source in sources %}
            when '{{ source }}' then {{ loop.index }}
        {%- endfor %}
        else {{ sources | length + 1 }}
    end,
    score_source asc,
    score_name asc,
    model_version desc
{%- endmacro %}
