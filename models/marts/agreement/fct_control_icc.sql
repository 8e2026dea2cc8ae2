-- One row per (project, Rating / Number control, ICC form): the intraclass correlation of the
-- annotators' numbers (Shrout and Fleiss 1979; McGraw and Wong 1996; the forms and names of
-- pingouin.intraclass_corr; icc_type is McGraw and Wong's name, as pingouin 0.7 prints it),
-- docs/agreement.md "ICC and bias".
--   ICC1 / ICC1k: one-way random effects (each task rated by its own random raters), single rater
--     / average of k raters. Valid on ragged designs: the unbalanced one-way ANOVA, with k the
--     effective raters per task k0 = (N - sum n_i^2 / N) / (n - 1) (= k when complete).
--   ICC2 / ICC2k: two-way random effects, absolute agreement; ICC3 / ICC3k: two-way mixed,
--     consistency. Need a complete design (every rater rates every task once): NULL with
--     null_reason otherwise.
-- Sums of squares are computed directly (not by subtraction).
{%- set forms = [
    ('ICC1', 'ICC(1,1)', 'one-way random, single rater, absolute agreement', false),
    ('ICC2', 'ICC(A,1)', 'two-way random, single rater, absolute agreement', true),
    ('ICC3', 'ICC(C,1)', 'two-way mixed, single rater, consistency', true),
    ('ICC1k', 'ICC(1,k)', 'one-way random, average of k raters, absolute agreement', false),
    ('ICC2k', 'ICC(A,k)', 'two-way random, average of k raters, absolute agreement', true),
    ('ICC3k', 'ICC(C,k)', 'two-way mixed, average of k raters, consistency', true),
] %}
with

ratings as (
    select * from {{ ref('int_agreement__numeric_ratings') }}
),

control_means as (
    select
        project_id,
        control_name,
        min(control_type) as control_type,
        count(*) as n_ratings,
        count(distinct task_id) as n_tasks,
        count(distinct rater_id) as n_raters,
        favg(number_value) as grand_mean
    from ratings
    group by project_id, control_name
),

task_means as (
    select
        project_id,
        control_name,
        task_id,
        count(*) as n_task_ratings,
        favg(number_value) as task_mean
    from ratings
    group by project_id, control_name, task_id
),

rater_means as (
    select
        project_id,
        control_name,
        rater_id,
        favg(number_value) as rater_mean
    from ratings
    group by project_id, control_name, rater_id
),

cells as (
    select
        project_id,
        control_name,
        max(n_cell) as max_cell_ratings,
        count(*) as n_cells
    from (
        select
            project_id,
            control_name,
            task_id,
            rater_id,
            count(*) as n_cell
        from ratings
        group by project_id, control_name, task_id, rater_id
    ) as cell_counts
    group by project_id, control_name
),

designs as (
    select
        control_means.*,
        -- every rater rated every task exactly once
        cells.max_cell_ratings = 1
        and cells.n_cells = control_means.n_tasks * control_means.n_raters
            as is_complete_design
    from control_means
    inner join cells
        on control_means.project_id = cells.project_id
        and control_means.control_name = cells.control_name
),

between_tasks as (
    select
        task_means.project_id,
        task_means.control_name,
        fsum(task_means.n_task_ratings * pow(task_means.task_mean - designs.grand_mean, 2)) as ss_tasks,
        fsum(pow(task_means.n_task_ratings, 2)) as sum_n_squared
    from task_means
    inner join designs
        on task_means.project_id = designs.project_id
        and task_means.control_name = designs.control_name
    group by task_means.project_id, task_means.control_name
),

within_tasks as (
    select
        ratings.project_id,
        ratings.control_name,
        fsum(pow(ratings.number_value - task_means.task_mean, 2)) as ss_within
    from ratings
    inner join task_means
        on ratings.project_id = task_means.project_id
        and ratings.control_name = task_means.control_name
        and ratings.task_id = task_means.task_id
    group by ratings.project_id, ratings.control_name
),

-- the two-way parts, complete designs only
between_raters as (
    select
        rater_means.project_id,
        rater_means.control_name,
        fsum(designs.n_tasks * pow(rater_means.rater_mean - designs.grand_mean, 2)) as ss_raters
    from rater_means
    inner join designs
        on rater_means.project_id = designs.project_id
        and rater_means.control_name = designs.control_name
    where designs.is_complete_design
    group by rater_means.project_id, rater_means.control_name
),

residuals as (
    select
        ratings.project_id,
        ratings.control_name,
        fsum(pow(
            ratings.number_value - task_means.task_mean - rater_means.rater_mean + designs.grand_mean, 2
        ))
            as ss_error
    from ratings
    inner join designs
        on ratings.project_id = designs.project_id
        and ratings.control_name = designs.control_name
    inner join task_means
        on ratings.project_id = task_means.project_id
        and ratings.control_name = task_means.control_name
        and ratings.task_id = task_means.task_id
    inner join rater_means
        on ratings.project_id = rater_means.project_id
        and ratings.control_name = rater_means.control_name
        and ratings.rater_id = rater_means.rater_id
    where designs.is_complete_design
    group by ratings.project_id, ratings.control_name
),

mean_squares as (
    select
        designs.project_id,
        designs.control_name,
        designs.control_type,
        designs.n_ratings,
        designs.n_tasks,
        designs.n_raters,
        designs.is_complete_design,
        case
            when designs.is_complete_design then cast(designs.n_raters as double)
            when designs.n_tasks > 1
                then
                    (designs.n_ratings - between_tasks.sum_n_squared / designs.n_ratings)
                    / (designs.n_tasks - 1)
        end as k,
        case when designs.n_tasks > 1 then between_tasks.ss_tasks / (designs.n_tasks - 1) end as ms_tasks,
        case
            when designs.n_ratings > designs.n_tasks
                then within_tasks.ss_within / (designs.n_ratings - designs.n_tasks)
        end as ms_within,
        case when designs.n_raters > 1 then between_raters.ss_raters / (designs.n_raters - 1) end
            as ms_raters,
        case
            when designs.n_tasks > 1 and designs.n_raters > 1
                then residuals.ss_error / ((designs.n_tasks - 1) * (designs.n_raters - 1))
        end as ms_error
    from designs
    inner join between_tasks
        on designs.project_id = between_tasks.project_id
        and designs.control_name = between_tasks.control_name
    inner join within_tasks
        on designs.project_id = within_tasks.project_id
        and designs.control_name = within_tasks.control_name
    left join between_raters
        on designs.project_id = between_raters.project_id
        and designs.control_name = between_raters.control_name
    left join residuals
        on designs.project_id = residuals.project_id
        and designs.control_name = residuals.control_name
),

forms as (
    {%- for name, type_name, description, two_way in forms %}
        select
            '{{ name }}' as icc_form,
            '{{ type_name }}' as icc_type,
            '{{ description }}' as icc_description,
            {{ 'true' if two_way else 'false' }} as is_two_way,
            {{ loop.index }} as form_order
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

with_reasons as (
    select
        mean_squares.*,
        forms.icc_form,
        forms.icc_type,
        forms.icc_description,
        forms.form_order,
        case
            when mean_squares.n_tasks < 2 then 'fewer than 2 tasks with a rating'
            when forms.is_two_way and not mean_squares.is_complete_design
                then 'two-way forms need a complete design: every rater rates every task exactly once'
            when mean_squares.n_raters < 2 and forms.is_two_way then 'fewer than 2 raters'
            when mean_squares.n_ratings <= mean_squares.n_tasks then 'no task has more than one rating'
        end as design_reason
    from mean_squares
    cross join forms
),

computed as (
    select
        *,
        case
            when design_reason is null then
                case icc_form
                    when 'ICC1' then (ms_tasks - ms_within) / nullif(ms_tasks + (k - 1) * ms_within, 0)
                    when 'ICC1k' then (ms_tasks - ms_within) / nullif(ms_tasks, 0)
                    when 'ICC2'
                        then
                            (ms_tasks - ms_error)
                            / nullif(ms_tasks + (k - 1) * ms_error + k * (ms_raters - ms_error) / n_tasks, 0)
                    when
                        'ICC2k'
                        then (ms_tasks - ms_error) / nullif(ms_tasks + (ms_raters - ms_error) / n_tasks, 0)
                    when 'ICC3' then (ms_tasks - ms_error) / nullif(ms_tasks + (k - 1) * ms_error, 0)
                    when 'ICC3k' then (ms_tasks - ms_error) / nullif(ms_tasks, 0)
                end
        end as icc
    from with_reasons
),

final as (
    select
        project_id,
        control_name,
        icc_form,
        icc_type,
        control_type,
        icc_description,
        icc,
        case
            when design_reason is not null then design_reason
            when icc is null then 'no variance between tasks (zero denominator)'
        end as null_reason,
        is_complete_design,
        n_tasks,
        n_raters,
        n_ratings,
        k as k_raters,
        ms_tasks,
        ms_within,
        ms_raters,
        ms_error
    from computed
)

select * from final
