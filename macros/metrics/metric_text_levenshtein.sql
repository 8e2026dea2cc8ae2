{#- text_levenshtein (TextArea): line-by-line normalised Levenshtein similarity.
    Lines are the entries of the result's `text` list (one per submitted text), aligned by position:
        sim(x, y) = 1 - lev(x, y) / max(len x, len y)      (1 when both lines are empty)
        s(A, B)   = sum_i sim(A_i, B_i) / max(|A|, |B|)      (a line present on one side only adds 0)
    both lists empty: 1. Lengths are in code points.
    Source: Label Studio Enterprise "Edit distance" for TextArea (Heartex stats: "for unaligned
    pairs the normalized similarity is zero; scores are averaged across all pairs").
    metric_version: 1, recorded in the agreement_metrics() registry (bump it there when this changes). -#}
{% macro metric_text_levenshtein(lines_a, lines_b) -%}
    {#- clamped to [0, 1] here, for every engine: a mean of per-item scores can round past 1 #}
    {{ return(metric_unit_interval(adapter.dispatch('metric_text_levenshtein', 'concord')(lines_a, lines_b))) }}
{%- endmacro %}

{% macro duckdb__metric_text_levenshtein(lines_a, lines_b) -%}
    case
        when greatest(coalesce(len({{ lines_a }}), 0), coalesce(len({{ lines_b }}), 0)) = 0 then 1.0
        else list_sum(list_transform(
            range(1, greatest(coalesce(len({{ lines_a }}), 0), coalesce(len({{ lines_b }}), 0)) + 1),
            lambda i: case
                when i > coalesce(len({{ lines_a }}), 0) or i > coalesce(len({{ lines_b }}), 0) then 0.0
                when greatest(length({{ lines_a }}[i]), length({{ lines_b }}[i])) = 0 then 1.0
                else 1.0 - levenshtein({{ lines_a }}[i], {{ lines_b }}[i])
                    / greatest(length({{ lines_a }}[i]), length({{ lines_b }}[i]))
            end
        )) / greatest(coalesce(len({{ lines_a }}), 0), coalesce(len({{ lines_b }}), 0))
    end
{%- endmacro %}

{% macro spark__metric_text_levenshtein(lines_a, lines_b) -%}
    case
        when greatest(coalesce(size({{ lines_a }}), 0), coalesce(size({{ lines_b }}), 0)) = 0 then 1.0
        else aggregate(transform(
            sequence(1, greatest(coalesce(size({{ lines_a }}), 0), coalesce(size({{ lines_b }}), 0))),
            i -> case
                when i > coalesce(size({{ lines_a }}), 0) or i > coalesce(size({{ lines_b }}), 0) then 0.0D
                when greatest(length(element_at({{ lines_a }}, i)), length(element_at({{ lines_b }}, i))) = 0 then 1.0D
                else 1.0D - levenshtein(element_at({{ lines_a }}, i), element_at({{ lines_b }}, i))
                    / greatest(length(element_at({{ lines_a }}, i)), length(element_at({{ lines_b }}, i)))
            end
        ), 0.0D, (acc, x) -> acc + x)
            / greatest(coalesce(size({{ lines_a }}), 0), coalesce(size({{ lines_b }}), 0))
    end
{%- endmacro %}
