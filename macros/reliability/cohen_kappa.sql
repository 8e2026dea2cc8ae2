{#- Cohen's kappa (Cohen 1960), the one definition used by fct_control_reliability (two
    annotators), its bootstrap replicates and fct_model_label_kappa (model label vs consensus).
    cohen_agreement_parts: from rows (label_1, label_2, weight) grouped by `group_columns`:
      n_units = sum w;  observed_agreement p_o = sum_{label_1 = label_2} w / n_units;
      expected_agreement p_e = sum_c n1_c n2_c / n_units^2, n1_c = sum_{label_1 = c} w,
      n2_c = sum_{label_2 = c} w (integer weights: every sum is exact).
    cohen_kappa: (p_o - p_e) / (1 - p_e); NULL when p_e >= 1 (one and the same label on both
    sides). Equals sklearn.metrics.cohen_kappa_score (tests/agreement, tests/model_eval). -#}
{% macro cohen_kappa(observed, expected) -%}
case when {{ expected }} < 1 then ({{ observed }} - {{ expected }}) / (1 - {{ expected }}) end
{%- endmacro %}

{% macro cohen_agreement_parts(relation, group_columns, label_1, label_2, weight) %}
{%- set keys = group_columns | join(', ') %}
select
    {{ keys }},
    n_units,
    cast(n_agree as double) / n_units as observed_agreement,
    cast(marginal_product as double) / (cast(n_units as double) * n_units) as expected_agreement,
from (
    select
        {{ keys }},
        sum({{ weight }}) as n_units,
        sum(case when {{ label_1 }} = {{ label_2 }} then {{ weight }} else 0 end) as n_agree,
    from {{ relation }}
    group by {{ keys }}
) as cohen_totals
inner join (
    select {{ keys }}, sum(cast(n_1 as hugeint) * n_2) as marginal_product,
    from (
        select {{ keys }}, cohen_label, sum(n_1) as n_1, sum(n_2) as n_2,
        from (
            select {{ keys }}, {{ label_1 }} as cohen_label, {{ weight }} as n_1, 0 as n_2, from {{ relation }}
            union all
            select {{ keys }}, {{ label_2 }} as cohen_label, 0 as n_1, {{ weight }} as n_2, from {{ relation }}
        ) as both_sides
        group by {{ keys }}, cohen_label
    ) as cohen_marginals
    group by {{ keys }}
) as cohen_chance
    using ({{ keys }})
where n_units > 0
{% endmacro %}
