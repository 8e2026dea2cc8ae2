{#-
  Dawid-Skene EM (Dawid and Skene 1979) in SQL, one statement per step, matching crowd-kit's
  `DawidSkene` (crowdkit.aggregation.classification.dawid_skene) step for step:
    init   posterior(task, c) = share of the task's votes with label c (MajorityVote.predict_proba)
    M-step error(w, l, c) = max(sum over w's votes l of posterior(task, c), eps), divided by its sum
           over the labels l that w gave; the labels w never gave have no row (probability 0)
           prior(c) = mean over tasks of posterior(task, c)
    E-step log2 posterior(task, c) = log2 prior(c) + sum over the task's votes of log2 error(w, l, c),
           shifted by its max per task, exponentiated and normalised
    stop   after iteration i when ELBO_i - ELBO_(i-1) < tol (ELBO_0 = -inf), or after max_iterations;
           ELBO = (sum over votes and c of posterior * (ln error + ln prior) + entropy) / n_votes,
           priors and posteriors floored at eps = 1e-10 inside the logs (crowd-kit's clip)
  Votes: integer keys (dataset_id = one (project, control), task_id, worker_key, label_key); the
  classes of a dataset are the labels given in it. Every dataset runs its own EM; a dataset that
  has stopped is carried unchanged while the others iterate.
-#}

{% macro ds_eps() %}1e-10{% endmacro %}

{# the majority-vote initialisation: every (task, class) of the dataset, zeros included #}
{% macro ds_initial_posteriors(votes, classes) -%}
    with task_votes as (
        select dataset_id, task_id, label_key, count(*) as n_votes,
        from {{ votes }}
        group by dataset_id, task_id, label_key
    ),
    task_totals as (
        select dataset_id, task_id, sum(n_votes) as n_task_votes,
        from task_votes
        group by dataset_id, task_id
    )
    select
        task_totals.dataset_id,
        task_totals.task_id,
        classes.class_key,
        coalesce(cast(task_votes.n_votes as double), 0.0) / task_totals.n_task_votes as posterior,
    from task_totals
    inner join {{ classes }} as classes
        on task_totals.dataset_id = classes.dataset_id
    left join task_votes
        on task_totals.dataset_id = task_votes.dataset_id
        and task_totals.task_id = task_votes.task_id
        and classes.class_key = task_votes.label_key
{%- endmacro %}

{# M-step: each worker's confusion matrix error(worker, observed label | true class) #}
{% macro ds_m_step(votes, posteriors) -%}
    with masses as (
        select
            votes.dataset_id,
            votes.worker_key,
            votes.label_key,
            posteriors.class_key,
            greatest(fsum(posteriors.posterior), {{ ds_eps() }}) as mass,
        from {{ votes }} as votes
        inner join {{ posteriors }} as posteriors
            on votes.dataset_id = posteriors.dataset_id
            and votes.task_id = posteriors.task_id
        group by votes.dataset_id, votes.worker_key, votes.label_key, posteriors.class_key
    )
    select
        dataset_id,
        worker_key,
        label_key,
        class_key,
        mass / fsum(mass) over (partition by dataset_id, worker_key, class_key) as error_probability,
    from masses
{%- endmacro %}

{% macro ds_priors(posteriors) -%}
    select dataset_id, class_key, favg(posterior) as prior,
    from {{ posteriors }}
    group by dataset_id, class_key
{%- endmacro %}

{# E-step: posteriors from the priors and confusion matrices #}
{% macro ds_e_step(votes, errors, priors) -%}
    with log_likelihoods as (
        select
            votes.dataset_id,
            votes.task_id,
            errors.class_key,
            fsum(log2(errors.error_probability)) as log_likelihood,
        from {{ votes }} as votes
        inner join {{ errors }} as errors
            on votes.dataset_id = errors.dataset_id
            and votes.worker_key = errors.worker_key
            and votes.label_key = errors.label_key
        group by votes.dataset_id, votes.task_id, errors.class_key
    ),
    with_priors as (
        select
            log_likelihoods.dataset_id,
            log_likelihoods.task_id,
            log_likelihoods.class_key,
            -- priors floored at eps (crowd-kit clips them before the log)
            log2(greatest(priors.prior, {{ ds_eps() }})) + log_likelihoods.log_likelihood as log_posterior,
        from log_likelihoods
        inner join {{ priors }} as priors
            on log_likelihoods.dataset_id = priors.dataset_id
            and log_likelihoods.class_key = priors.class_key
    ),
    scaled as (
        select
            *,
            pow(2.0, log_posterior - max(log_posterior) over (partition by dataset_id, task_id)) as scaled,
        from with_priors
    )
    select
        dataset_id,
        task_id,
        class_key,
        scaled / fsum(scaled) over (partition by dataset_id, task_id) as posterior,
    from scaled
{%- endmacro %}

{# evidence lower bound per dataset, divided by the dataset's number of votes (crowd-kit's loss) #}
{% macro ds_elbo(votes, posteriors, errors, priors) -%}
    with joint as (
        select
            votes.dataset_id,
            fsum(posteriors.posterior * (ln(errors.error_probability) + ln(greatest(priors.prior, {{ ds_eps() }}))))
                as joint,
        from {{ votes }} as votes
        inner join {{ posteriors }} as posteriors
            on votes.dataset_id = posteriors.dataset_id
            and votes.task_id = posteriors.task_id
        inner join {{ errors }} as errors
            on votes.dataset_id = errors.dataset_id
            and votes.worker_key = errors.worker_key
            and votes.label_key = errors.label_key
            and posteriors.class_key = errors.class_key
        inner join {{ priors }} as priors
            on posteriors.dataset_id = priors.dataset_id
            and posteriors.class_key = priors.class_key
        group by votes.dataset_id
    ),
    vote_counts as (
        select dataset_id, count(*) as n_votes,
        from {{ votes }}
        group by dataset_id
    ),
    entropy as (
        select
            dataset_id,
            -- posteriors floored at eps (crowd-kit clips them before the log)
            -fsum(greatest(posterior, {{ ds_eps() }}) * ln(greatest(posterior, {{ ds_eps() }}))) as entropy,
        from {{ posteriors }}
        group by dataset_id
    )
    select
        entropy.dataset_id,
        -- divided by the number of votes, as crowd-kit's loss (len(data))
        (joint.joint + entropy.entropy) / vote_counts.n_votes as elbo,
    from entropy
    inner join joint
        on entropy.dataset_id = joint.dataset_id
    inner join vote_counts
        on entropy.dataset_id = vote_counts.dataset_id
{%- endmacro %}

{#-
  Runs the EM (at execution time) in scratch tables <schema>.<prefix>_{posteriors,errors,priors,
  status}_<i>, one set per iteration, dropping the previous set; returns the relation name of the
  last posteriors and status tables. Each iteration is one set of statements (the loop unrolled
  here), so every operator is an ordinary join / aggregate DuckDB can spill to disk.
-#}
{% macro ds_run_em(votes, classes, scratch_schema, prefix, max_iterations, tolerance) -%}
    {%- set t = scratch_schema ~ '.' ~ prefix -%}
    {%- do run_query('create or replace table ' ~ t ~ '_posteriors_0 as ' ~ ds_initial_posteriors(votes, classes)) -%}
    {%- do run_query('create or replace table ' ~ t ~ '_priors_0 as ' ~ ds_priors(t ~ '_posteriors_0')) -%}
    {%- do run_query('create or replace table ' ~ t ~ '_errors_0 as ' ~ ds_m_step(votes, t ~ '_posteriors_0')) -%}
    {%- do run_query('create or replace table ' ~ t ~ '_status_0 as select dataset_id, cast(null as double) as elbo, false as is_done, 0 as n_iterations, from ' ~ classes ~ ' group by dataset_id') -%}
    {%- set ns = namespace(last=0, done=false) -%}
    {%- for i in range(1, max_iterations + 1) -%}
        {%- if not ns.done -%}
            {%- set p = i - 1 -%}
            {%- set active = '(select dataset_id from ' ~ t ~ '_status_' ~ p ~ ' where not is_done)' -%}
            {%- set frozen = '(select dataset_id from ' ~ t ~ '_status_' ~ p ~ ' where is_done)' -%}
            {%- set active_votes = '(select * from ' ~ votes ~ ' where dataset_id in ' ~ active ~ ')' -%}
            {%- set sql_posteriors -%}
                create or replace table {{ t }}_posteriors_{{ i }} as
                {{ ds_e_step(active_votes, t ~ '_errors_' ~ p, t ~ '_priors_' ~ p) }}
                union all
                select * from {{ t }}_posteriors_{{ p }} where dataset_id in {{ frozen }}
            {%- endset -%}
            {%- do run_query(sql_posteriors) -%}
            {%- set active_posteriors = '(select * from ' ~ t ~ '_posteriors_' ~ i ~ ' where dataset_id in ' ~ active ~ ')' -%}
            {%- set sql_priors -%}
                create or replace table {{ t }}_priors_{{ i }} as
                {{ ds_priors(active_posteriors) }}
                union all
                select * from {{ t }}_priors_{{ p }} where dataset_id in {{ frozen }}
            {%- endset -%}
            {%- do run_query(sql_priors) -%}
            {%- set sql_errors -%}
                create or replace table {{ t }}_errors_{{ i }} as
                {{ ds_m_step(active_votes, active_posteriors) }}
                union all
                select * from {{ t }}_errors_{{ p }} where dataset_id in {{ frozen }}
            {%- endset -%}
            {%- do run_query(sql_errors) -%}
            {%- set sql_status -%}
                create or replace table {{ t }}_status_{{ i }} as
                with elbo as (
                    {{ ds_elbo(active_votes, active_posteriors, t ~ '_errors_' ~ i, t ~ '_priors_' ~ i) }}
                )
                select
                    previous.dataset_id,
                    case when previous.is_done then previous.elbo else elbo.elbo end as elbo,
                    previous.is_done
                        or (previous.elbo is not null and elbo.elbo - previous.elbo < {{ tolerance }})
                        as is_done,
                    case when previous.is_done then previous.n_iterations else {{ i }} end as n_iterations,
                from {{ t }}_status_{{ p }} as previous
                left join elbo
                    on previous.dataset_id = elbo.dataset_id
            {%- endset -%}
            {%- do run_query(sql_status) -%}
            {%- for part in ['posteriors', 'priors', 'errors', 'status'] -%}
                {%- do run_query('drop table if exists ' ~ t ~ '_' ~ part ~ '_' ~ p) -%}
            {%- endfor -%}
            {%- set ns.last = i -%}
            {%- set remaining = run_query('select count(*) from ' ~ t ~ '_status_' ~ i ~ ' where not is_done') -%}
            {%- if remaining.columns[0].values()[0] == 0 -%}
                {%- set ns.done = true -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(ns.last) }}
{%- endmacro %}

{% macro ds_drop_scratch(scratch_schema, prefix, iteration) -%}
    {%- for part in ['posteriors', 'priors', 'errors', 'status'] -%}
        {%- do run_query('drop table if exists ' ~ scratch_schema ~ '.' ~ prefix ~ '_' ~ part ~ '_' ~ iteration) -%}
    {%- endfor -%}
{%- endmacro %}
