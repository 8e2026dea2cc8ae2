{#- Pearson's product-moment correlation, as an aggregate over a group:
        r = sum(dx * dy) / sqrt(sum(dx^2) * sum(dy^2)),  dx = x - mean(x), dy = y - mean(y)
    The caller passes x, y and the centred dx, dy (group means taken first, in a window: the
    two-pass form keeps precision that the one-pass sum-of-products form loses). Equals
    scipy.stats.pearsonr. Null when the group has fewer than 2 rows or no variation in x or in y
    (scipy returns nan there).
    metric_version: pearson_v1 -#}
{% macro model_eval_pearson(x, y, centred_x, centred_y) -%}
    case
        when count(*) >= 2 and max({{ x }}) > min({{ x }}) and max({{ y }}) > min({{ y }})
            then fsum({{ centred_x }} * {{ centred_y }})
                / sqrt(fsum({{ centred_x }} * {{ centred_x }}) * fsum({{ centred_y }} * {{ centred_y }}))
    end
{%- endmacro %}
