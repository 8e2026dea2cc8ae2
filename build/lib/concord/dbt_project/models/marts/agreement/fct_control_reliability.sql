-- One row per (project, control): chance-corrected reliability of the human annotations, computed
-- from coincidence matrices in SQL. Units = tasks; values = one per submitted annotation that
-- answered the control. Single-valued controls only (Choices single, Pairwise: categorical;
-- Rating, Number: numeric); every coefficient is NULL with a reason when it is not computable.
--   Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's alpha-reliability"):
--     o_ck = sum_u n_uc (n_uk - [c = k]) / (m_u - 1) over units with m_u >= 2 values,
--     n_c = sum_k o_ck, n = sum_c n_c,  alpha = 1 - (n - 1) sum o_ck d_ck / sum n_c n_k d_ck
--     d nominal = [c != k]; interval = (c - k)^2;
--     ordinal = (sum_{g between c and k} n_g - (n_c + n_k) / 2)^2.
--   Percent agreement and Gwet's AC1 / AC2 (Gwet 2014, Handbook of Inter-Rater Reliability,
--     4th ed.; irrCAC gwet.ac1.raw): pa = mean over units with r_u >= 2 of
--     sum_k r_uk (r*_uk - 1) / (r_u (r_u - 1)), r*_uk = sum_l w_kl r_ul;
--     pi_k = mean over units with r_u >= 1 of r_uk / r_u; pe = T_w sum_k pi_k (1 - pi_k) / (q (q - 1));
--     AC = (pa - pe) / (1 - pe). AC1: w = identity. AC2 (numeric controls): quadratic weights
--     w_kl = 1 - (x_k - x_l)^2 / (x_max - x_min)^2. q = categories observed.
--   Fleiss' kappa (Fleiss 1971) over the units with >= 2 values, only when all of them have the
--     same number m of values: p_j = sum_u n_uj / (N m), P_u = (sum_j n_uj^2 - m) / (m (m - 1)),
--     kappa = (mean P_u - sum p_j^2) / (1 - sum p_j^2).
--   Cohen's kappa (Cohen 1960), only when exactly two annotators answered the control, over the
--     units both answered: kappa = (p_o - p_e) / (1 - p_e), p_e = sum_c p1_c p2_c.
with

judgments as (
    select * from {{ ref('int_agreement_judgments') }}
    where judgment_kind = 'annotation'
),

-- narrow: referenced more than once, so DuckDB materialises it (the value lists stay out)
judgment_values as (
    select judgment_id, task_id, project_id, control_name, number_value, value_key,
    from {{ ref('int_agreement_judgment_values') }}
    where judgment_kind = 'annotation'
),

control_settings as (
    select * from {{ ref('int_agreement_control_settings') }}
),

pairs as (
    select * from {{ ref('int_judgment_pairs_scored') }}
    where pair_kind = 'human_human'
),

controls as (
    select
        project_id,
        control_name,
        control_type,
        case
            when control_type in ('rating', 'number') then 'numeric'
            when control_type = 'pairwise' or control_key = 'choices' then 'categorical'
        end as value_kind,
    from control_settings
),

unit_values as (
    select
        judgment_values.project_id,
        judgment_values.control_name,
        judgment_values.task_id as unit_id,
        judgments.annotator_id,
        case
            when controls.value_kind = 'numeric' then cast(judgment_values.number_value as {{ dbt.type_string() }})
            else judgment_values.value_key
        end as category,
        case when controls.value_kind = 'numeric' then judgment_values.number_value end as category_number,
    from judgment_values
    inner join judgments
        on judgment_values.judgment_id = judgments.judgment_id
    inner join controls
        on judgment_values.project_id = controls.project_id
        and judgment_values.control_name = controls.control_name
    where controls.value_kind is not null
        and (
            (controls.value_kind = 'numeric' and judgment_values.number_value is not null)
            or (controls.value_kind = 'categorical' and judgment_values.value_key is not null)
        )
),

unit_sizes as (
    select project_id, control_name, unit_id, count(*) as n_unit_values,
    from unit_values
    group by project_id, control_name, unit_id
),

unit_category_counts as (
    select
        unit_values.project_id,
        unit_values.control_name,
        unit_values.unit_id,
        unit_values.category,
        min(unit_values.category_number) as category_number,
        count(*) as n_unit_category,
        min(unit_sizes.n_unit_values) as n_unit_values,
    from unit_values
    inner join unit_sizes
        on unit_values.project_id = unit_sizes.project_id
        and unit_values.control_name = unit_sizes.control_name
        and unit_values.unit_id = unit_sizes.unit_id
    group by unit_values.project_id, unit_values.control_name, unit_values.unit_id, unit_values.category
),

-- Krippendorff: coincidence matrix o_ck and its marginals n_c
coincidences as (
    select
        count_c.project_id,
        count_c.control_name,
        count_c.category as category_c,
        count_k.category as category_k,
        sum(
            count_c.n_unit_category
            * (count_k.n_unit_category - case when count_c.category = count_k.category then 1 else 0 end)
            / (count_c.n_unit_values - 1.0)
        ) as coincidence,
    from unit_category_counts as count_c
    inner join unit_category_counts as count_k
        on count_c.project_id = count_k.project_id
        and count_c.control_name = count_k.control_name
        and count_c.unit_id = count_k.unit_id
    where count_c.n_unit_values >= 2
    group by count_c.project_id, count_c.control_name, count_c.category, count_k.category
),

marginals as (
    select
        coincidences.project_id,
        coincidences.control_name,
        coincidences.category_c as category,
        min(category_numbers.category_number) as category_number,
        sum(coincidences.coincidence) as n_c,
    from coincidences
    inner join (
        select distinct project_id, control_name, category, category_number,
        from unit_category_counts
    ) as category_numbers
        on coincidences.project_id = category_numbers.project_id
        and coincidences.control_name = category_numbers.control_name
        and coincidences.category_c = category_numbers.category
    group by coincidences.project_id, coincidences.control_name, coincidences.category_c
),

marginals_cumulated as (
    select
        *,
        sum(n_c) over (
            partition by project_id, control_name
            order by category_number
            rows between unbounded preceding and current row
        ) as cumulative_n,
        sum(n_c) over (partition by project_id, control_name) as n_pairable,
    from marginals
),

category_pairs as (
    select
        marginal_c.project_id,
        marginal_c.control_name,
        marginal_c.category as category_c,
        marginal_k.category as category_k,
        marginal_c.n_c,
        marginal_k.n_c as n_k,
        marginal_c.n_pairable,
        case when marginal_c.category = marginal_k.category then 0.0 else 1.0 end as distance_nominal,
        power(marginal_c.category_number - marginal_k.category_number, 2) as distance_interval,
        case
            when marginal_c.category_number <= marginal_k.category_number
                then power(marginal_k.cumulative_n - marginal_c.cumulative_n + (marginal_c.n_c - marginal_k.n_c) / 2.0, 2)
            else power(marginal_c.cumulative_n - marginal_k.cumulative_n + (marginal_k.n_c - marginal_c.n_c) / 2.0, 2)
        end as distance_ordinal,
    from marginals_cumulated as marginal_c
    inner join marginals_cumulated as marginal_k
        on marginal_c.project_id = marginal_k.project_id
        and marginal_c.control_name = marginal_k.control_name
),

alpha_sums as (
    select
        category_pairs.project_id,
        category_pairs.control_name,
        max(category_pairs.n_pairable) as n_pairable,
        sum(coalesce(coincidences.coincidence, 0) * category_pairs.distance_nominal) as observed_nominal,
        sum(category_pairs.n_c * category_pairs.n_k * category_pairs.distance_nominal) as expected_nominal,
        sum(coalesce(coincidences.coincidence, 0) * category_pairs.distance_interval) as observed_interval,
        sum(category_pairs.n_c * category_pairs.n_k * category_pairs.distance_interval) as expected_interval,
        sum(coalesce(coincidences.coincidence, 0) * category_pairs.distance_ordinal) as observed_ordinal,
        sum(category_pairs.n_c * category_pairs.n_k * category_pairs.distance_ordinal) as expected_ordinal,
    from category_pairs
    left join coincidences
        on category_pairs.project_id = coincidences.project_id
        and category_pairs.control_name = coincidences.control_name
        and category_pairs.category_c = coincidences.category_c
        and category_pairs.category_k = coincidences.category_k
    group by category_pairs.project_id, category_pairs.control_name
),

-- Gwet: categories observed, weights, pa and pe
categories as (
    select distinct project_id, control_name, category, category_number,
    from unit_category_counts
),

category_ranges as (
    select
        project_id,
        control_name,
        count(*) as n_categories,
        max(category_number) - min(category_number) as category_range,
    from categories
    group by project_id, control_name
),

category_weights as (
    select
        category_k.project_id,
        category_k.control_name,
        category_k.category as category_k,
        category_l.category as category_l,
        case when category_k.category = category_l.category then 1.0 else 0.0 end as weight_identity,
        case
            when category_ranges.category_range > 0
                then 1.0 - power(category_k.category_number - category_l.category_number, 2)
                    / power(category_ranges.category_range, 2)
        end as weight_quadratic,
    from categories as category_k
    inner join categories as category_l
        on category_k.project_id = category_l.project_id
        and category_k.control_name = category_l.control_name
    inner join category_ranges
        on category_k.project_id = category_ranges.project_id
        and category_k.control_name = category_ranges.control_name
),

weight_totals as (
    select
        project_id,
        control_name,
        sum(weight_identity) as total_weight_identity,
        sum(weight_quadratic) as total_weight_quadratic,
    from category_weights
    group by project_id, control_name
),

weighted_unit_counts as (
    select
        count_k.project_id,
        count_k.control_name,
        count_k.unit_id,
        count_k.category,
        min(count_k.n_unit_category) as n_unit_category,
        min(count_k.n_unit_values) as n_unit_values,
        sum(category_weights.weight_identity * count_l.n_unit_category) as weighted_identity,
        sum(category_weights.weight_quadratic * count_l.n_unit_category) as weighted_quadratic,
    from unit_category_counts as count_k
    inner join unit_category_counts as count_l
        on count_k.project_id = count_l.project_id
        and count_k.control_name = count_l.control_name
        and count_k.unit_id = count_l.unit_id
    inner join category_weights
        on count_k.project_id = category_weights.project_id
        and count_k.control_name = category_weights.control_name
        and count_k.category = category_weights.category_k
        and count_l.category = category_weights.category_l
    group by count_k.project_id, count_k.control_name, count_k.unit_id, count_k.category
),

unit_agreements as (
    select
        project_id,
        control_name,
        unit_id,
        sum(n_unit_category * (weighted_identity - 1)) / (min(n_unit_values) * (min(n_unit_values) - 1.0)) as unit_pa_identity,
        sum(n_unit_category * (weighted_quadratic - 1)) / (min(n_unit_values) * (min(n_unit_values) - 1.0)) as unit_pa_quadratic,
    from weighted_unit_counts
    where n_unit_values >= 2
    group by project_id, control_name, unit_id
),

percent_agreements as (
    select
        project_id,
        control_name,
        avg(unit_pa_identity) as pa_identity,
        avg(unit_pa_quadratic) as pa_quadratic,
    from unit_agreements
    group by project_id, control_name
),

category_prevalences as (
    select
        unit_category_counts.project_id,
        unit_category_counts.control_name,
        unit_category_counts.category,
        sum(cast(unit_category_counts.n_unit_category as double) / unit_category_counts.n_unit_values)
            / min(unit_counts.n_units) as prevalence,
    from unit_category_counts
    inner join (
        select project_id, control_name, count(*) as n_units,
        from unit_sizes
        group by project_id, control_name
    ) as unit_counts
        on unit_category_counts.project_id = unit_counts.project_id
        and unit_category_counts.control_name = unit_counts.control_name
    group by unit_category_counts.project_id, unit_category_counts.control_name, unit_category_counts.category
),

chance_agreements as (
    select
        category_prevalences.project_id,
        category_prevalences.control_name,
        min(category_ranges.n_categories) as n_categories,
        case
            when min(category_ranges.n_categories) >= 2
                then min(weight_totals.total_weight_identity)
                    * sum(category_prevalences.prevalence * (1 - category_prevalences.prevalence))
                    / (min(category_ranges.n_categories) * (min(category_ranges.n_categories) - 1.0))
        end as pe_identity,
        case
            when min(category_ranges.n_categories) >= 2
                then min(weight_totals.total_weight_quadratic)
                    * sum(category_prevalences.prevalence * (1 - category_prevalences.prevalence))
                    / (min(category_ranges.n_categories) * (min(category_ranges.n_categories) - 1.0))
        end as pe_quadratic,
    from category_prevalences
    inner join category_ranges
        on category_prevalences.project_id = category_ranges.project_id
        and category_prevalences.control_name = category_ranges.control_name
    inner join weight_totals
        on category_prevalences.project_id = weight_totals.project_id
        and category_prevalences.control_name = weight_totals.control_name
    group by category_prevalences.project_id, category_prevalences.control_name
),

-- Fleiss: units with >= 2 values, all of the same size m
coincident_unit_shapes as (
    select
        project_id,
        control_name,
        count(*) as n_coincident_units,
        min(n_unit_values) as min_unit_values,
        max(n_unit_values) as max_unit_values,
    from unit_sizes
    where n_unit_values >= 2
    group by project_id, control_name
),

fleiss_category_shares as (
    select
        unit_category_counts.project_id,
        unit_category_counts.control_name,
        unit_category_counts.category,
        sum(unit_category_counts.n_unit_category)
            / (min(coincident_unit_shapes.n_coincident_units) * min(coincident_unit_shapes.min_unit_values) * 1.0) as share,
    from unit_category_counts
    inner join coincident_unit_shapes
        on unit_category_counts.project_id = coincident_unit_shapes.project_id
        and unit_category_counts.control_name = coincident_unit_shapes.control_name
    where unit_category_counts.n_unit_values >= 2
    group by unit_category_counts.project_id, unit_category_counts.control_name, unit_category_counts.category
),

fleiss_unit_agreements as (
    select
        project_id,
        control_name,
        unit_id,
        (sum(n_unit_category * n_unit_category) - min(n_unit_values))
            / (min(n_unit_values) * (min(n_unit_values) - 1.0)) as unit_agreement,
    from unit_category_counts
    where n_unit_values >= 2
    group by project_id, control_name, unit_id
),

fleiss_parts as (
    select
        fleiss_unit_agreements.project_id,
        fleiss_unit_agreements.control_name,
        avg(fleiss_unit_agreements.unit_agreement) as mean_unit_agreement,
        min(chance.chance_agreement) as chance_agreement,
    from fleiss_unit_agreements
    inner join (
        select project_id, control_name, sum(share * share) as chance_agreement,
        from fleiss_category_shares
        group by project_id, control_name
    ) as chance
        on fleiss_unit_agreements.project_id = chance.project_id
        and fleiss_unit_agreements.control_name = chance.control_name
    group by fleiss_unit_agreements.project_id, fleiss_unit_agreements.control_name
),

-- Cohen: exactly two annotators, units both answered (one value each)
annotator_counts as (
    select
        project_id,
        control_name,
        count(distinct annotator_id) as n_annotators,
        min(annotator_id) as annotator_id_1,
        max(annotator_id) as annotator_id_2,
    from unit_values
    group by project_id, control_name
),

single_values as (
    select unit_values.*,
    from unit_values
    inner join (
        select project_id, control_name, unit_id, annotator_id,
        from unit_values
        group by project_id, control_name, unit_id, annotator_id
        having count(*) = 1
    ) as singles
        on unit_values.project_id = singles.project_id
        and unit_values.control_name = singles.control_name
        and unit_values.unit_id = singles.unit_id
        and unit_values.annotator_id = singles.annotator_id
),

cohen_units as (
    select
        annotator_counts.project_id,
        annotator_counts.control_name,
        value_1.unit_id,
        value_1.category as category_1,
        value_2.category as category_2,
    from annotator_counts
    inner join single_values as value_1
        on annotator_counts.project_id = value_1.project_id
        and annotator_counts.control_name = value_1.control_name
        and annotator_counts.annotator_id_1 = value_1.annotator_id
    inner join single_values as value_2
        on value_1.project_id = value_2.project_id
        and value_1.control_name = value_2.control_name
        and value_1.unit_id = value_2.unit_id
        and annotator_counts.annotator_id_2 = value_2.annotator_id
    where annotator_counts.n_annotators = 2
),

cohen_marginals as (
    select project_id, control_name, category, sum(n_1) as n_1, sum(n_2) as n_2,
    from (
        select project_id, control_name, category_1 as category, 1 as n_1, 0 as n_2, from cohen_units
        union all
        select project_id, control_name, category_2 as category, 0 as n_1, 1 as n_2, from cohen_units
    ) as both_sides
    group by project_id, control_name, category
),

cohen_parts as (
    select
        observed.project_id,
        observed.control_name,
        observed.n_shared_units,
        observed.observed_agreement,
        expected.expected_agreement,
    from (
        select
            project_id,
            control_name,
            count(*) as n_shared_units,
            avg(case when category_1 = category_2 then 1.0 else 0.0 end) as observed_agreement,
        from cohen_units
        group by project_id, control_name
    ) as observed
    inner join (
        select
            cohen_marginals.project_id,
            cohen_marginals.control_name,
            sum(cohen_marginals.n_1 * cohen_marginals.n_2) / power(min(totals.n_shared_units) * 1.0, 2) as expected_agreement,
        from cohen_marginals
        inner join (
            select project_id, control_name, count(*) as n_shared_units,
            from cohen_units
            group by project_id, control_name
        ) as totals
            on cohen_marginals.project_id = totals.project_id
            and cohen_marginals.control_name = totals.control_name
        group by cohen_marginals.project_id, cohen_marginals.control_name
    ) as expected
        on observed.project_id = expected.project_id
        and observed.control_name = expected.control_name
),

unit_totals as (
    select
        project_id,
        control_name,
        count(*) as n_units,
        sum(case when n_unit_values >= 2 then 1 else 0 end) as n_coincident_units,
        sum(n_unit_values) as n_values,
    from unit_sizes
    group by project_id, control_name
),

answered_units as (
    select project_id, control_name, count(distinct task_id) as n_units_answered,
    from judgment_values
    group by project_id, control_name
),

pair_means as (
    select project_id, control_name, avg(agreement) as mean_pairwise_agreement, count(*) as n_pairs,
    from pairs
    group by project_id, control_name
),

final as (
    select
        controls.project_id,
        controls.control_name,
        controls.control_type,
        controls.value_kind,
        coalesce(unit_totals.n_units, answered_units.n_units_answered, 0) as n_units,
        coalesce(unit_totals.n_coincident_units, 0) as n_coincident_units,
        coalesce(annotator_counts.n_annotators, 0) as n_annotators,
        coalesce(unit_totals.n_values, 0) as n_values,
        category_ranges.n_categories,
        coalesce(pair_means.n_pairs, 0) as n_pairs,
        pair_means.mean_pairwise_agreement,
        percent_agreements.pa_identity as percent_agreement,
        {%- for level in ['nominal', 'ordinal', 'interval'] %}
        case
            when controls.value_kind is null or coalesce(unit_totals.n_coincident_units, 0) = 0 then null
            {%- if level != 'nominal' %}
            when controls.value_kind != 'numeric' then null
            {%- endif %}
            when alpha_sums.expected_{{ level }} = 0 then null
            else 1.0 - (alpha_sums.n_pairable - 1) * alpha_sums.observed_{{ level }} / alpha_sums.expected_{{ level }}
        end as alpha_{{ level }},
        {%- endfor %}
        case
            when controls.value_kind is null
                then 'needs one categorical or numeric value per annotation (control type ' || controls.control_type || ')'
            when coalesce(unit_totals.n_coincident_units, 0) = 0 then 'no unit has 2 or more annotations'
            when alpha_sums.expected_nominal = 0 then 'no variation: every pairable value is the same'
        end as alpha_reason,
        case
            when controls.value_kind is null or coalesce(unit_totals.n_coincident_units, 0) = 0 then null
            when chance_agreements.pe_identity is null or chance_agreements.pe_identity >= 1 then null
            else (percent_agreements.pa_identity - chance_agreements.pe_identity) / (1 - chance_agreements.pe_identity)
        end as gwet_ac1,
        case
            when controls.value_kind is distinct from 'numeric' or coalesce(unit_totals.n_coincident_units, 0) = 0 then null
            when chance_agreements.pe_quadratic is null or chance_agreements.pe_quadratic >= 1 then null
            else (percent_agreements.pa_quadratic - chance_agreements.pe_quadratic) / (1 - chance_agreements.pe_quadratic)
        end as gwet_ac2,
        case
            when controls.value_kind is null
                then 'needs one categorical or numeric value per annotation (control type ' || controls.control_type || ')'
            when coalesce(unit_totals.n_coincident_units, 0) = 0 then 'no unit has 2 or more annotations'
            when coalesce(category_ranges.n_categories, 0) < 2 then 'no variation: one category only'
            when controls.value_kind = 'categorical' then 'AC2 needs ordered (numeric) categories; AC1 given'
        end as gwet_reason,
        case
            when controls.value_kind is null or coalesce(unit_totals.n_coincident_units, 0) = 0 then null
            when coincident_unit_shapes.min_unit_values != coincident_unit_shapes.max_unit_values then null
            when fleiss_parts.chance_agreement >= 1 then null
            else (fleiss_parts.mean_unit_agreement - fleiss_parts.chance_agreement) / (1 - fleiss_parts.chance_agreement)
        end as fleiss_kappa,
        case
            when controls.value_kind is null
                then 'needs one categorical or numeric value per annotation (control type ' || controls.control_type || ')'
            when coalesce(unit_totals.n_coincident_units, 0) = 0 then 'no unit has 2 or more annotations'
            when coincident_unit_shapes.min_unit_values != coincident_unit_shapes.max_unit_values
                then 'units have unequal numbers of annotations ('
                    || cast(coincident_unit_shapes.min_unit_values as {{ dbt.type_string() }}) || ' to '
                    || cast(coincident_unit_shapes.max_unit_values as {{ dbt.type_string() }}) || ')'
            when fleiss_parts.chance_agreement >= 1 then 'no variation: every value is the same'
        end as fleiss_reason,
        case
            when controls.value_kind is null or coalesce(annotator_counts.n_annotators, 0) != 2 then null
            when coalesce(cohen_parts.n_shared_units, 0) = 0 then null
            when cohen_parts.expected_agreement >= 1 then null
            else (cohen_parts.observed_agreement - cohen_parts.expected_agreement) / (1 - cohen_parts.expected_agreement)
        end as cohen_kappa,
        case
            when controls.value_kind is null
                then 'needs one categorical or numeric value per annotation (control type ' || controls.control_type || ')'
            when coalesce(annotator_counts.n_annotators, 0) != 2
                then 'needs exactly two annotators (found '
                    || cast(coalesce(annotator_counts.n_annotators, 0) as {{ dbt.type_string() }}) || ')'
            when coalesce(cohen_parts.n_shared_units, 0) = 0 then 'the two annotators share no unit'
            when cohen_parts.expected_agreement >= 1 then 'no variation: both annotators always give the same value'
        end as cohen_reason,
        coalesce(cohen_parts.n_shared_units, 0) as n_cohen_units,
    from controls
    left join unit_totals
        on controls.project_id = unit_totals.project_id
        and controls.control_name = unit_totals.control_name
    left join answered_units
        on controls.project_id = answered_units.project_id
        and controls.control_name = answered_units.control_name
    left join annotator_counts
        on controls.project_id = annotator_counts.project_id
        and controls.control_name = annotator_counts.control_name
    left join category_ranges
        on controls.project_id = category_ranges.project_id
        and controls.control_name = category_ranges.control_name
    left join pair_means
        on controls.project_id = pair_means.project_id
        and controls.control_name = pair_means.control_name
    left join percent_agreements
        on controls.project_id = percent_agreements.project_id
        and controls.control_name = percent_agreements.control_name
    left join alpha_sums
        on controls.project_id = alpha_sums.project_id
        and controls.control_name = alpha_sums.control_name
    left join chance_agreements
        on controls.project_id = chance_agreements.project_id
        and controls.control_name = chance_agreements.control_name
    left join coincident_unit_shapes
        on controls.project_id = coincident_unit_shapes.project_id
        and controls.control_name = coincident_unit_shapes.control_name
    left join fleiss_parts
        on controls.project_id = fleiss_parts.project_id
        and controls.control_name = fleiss_parts.control_name
    left join cohen_parts
        on controls.project_id = cohen_parts.project_id
        and controls.control_name = cohen_parts.control_name
)

select * from final
