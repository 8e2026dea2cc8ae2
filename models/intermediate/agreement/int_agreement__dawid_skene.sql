-- One row per (project, categorical control, task, class): the Dawid-Skene posterior probability
-- that the task's true label is the class, with the dataset's (project, control) number of EM
-- iterations, whether it stopped on the tolerance, and its final evidence lower bound.
-- The EM (macros/consensus/dawid_skene.sql) runs at execution time in scratch tables, one set of
-- statements per iteration (vars concord_consensus_max_iterations, concord_consensus_tolerance),
-- initialised from the majority vote; a dataset stops when its ELBO improves by less than the
-- tolerance (crowd-kit's rule). The last iteration's tables are read here and dropped after.
{%- set prefix = 'ds_scratch__' ~ this.identifier %}
{%- set scratch = this.schema %}
{{ config(post_hook=[
    "drop table if exists " ~ scratch ~ "." ~ prefix ~ "_votes",
    "drop table if exists " ~ scratch ~ "." ~ prefix ~ "_classes",
    "drop table if exists " ~ scratch ~ "." ~ prefix ~ "_posteriors_final",
    "drop table if exists " ~ scratch ~ "." ~ prefix ~ "_status_final",
]) }}
{#- `make lint` sets CONCORD_SQL_LINT: sqlfluff's dbt templater compiles with execute = true, and
    the EM's queries would fail on its scratch warehouse and make it skip this file -#}
{%- if execute and not env_var('CONCORD_SQL_LINT', '') %}
    {%- do run_query('create schema if not exists ' ~ scratch) %}
    {%- do run_query(
        'create or replace table ' ~ scratch ~ '.' ~ prefix ~ '_votes as'
        ~ ' select dataset_id, task_id, worker_key, label_key from '
        ~ ref('int_agreement__categorical_votes')
    ) %}
    {%- do run_query(
        'create or replace table ' ~ scratch ~ '.' ~ prefix ~ '_classes as'
        ~ ' select distinct dataset_id, label_key as class_key from ' ~ scratch ~ '.' ~ prefix ~ '_votes'
    ) %}
    {%- set last = ds_run_em(
        scratch ~ '.' ~ prefix ~ '_votes',
        scratch ~ '.' ~ prefix ~ '_classes',
        scratch, prefix,
        var('concord_consensus_max_iterations'),
        var('concord_consensus_tolerance')) %}
    {%- do run_query('drop table if exists ' ~ scratch ~ '.' ~ prefix ~ '_posteriors_final') %}
    {%- do run_query('drop table if exists ' ~ scratch ~ '.' ~ prefix ~ '_status_final') %}
    {%- do run_query(
        'alter table ' ~ scratch ~ '.' ~ prefix ~ '_posteriors_' ~ last
        ~ ' rename to ' ~ prefix ~ '_posteriors_final'
    ) %}
    {%- do run_query(
        'alter table ' ~ scratch ~ '.' ~ prefix ~ '_status_' ~ last ~ ' rename to ' ~ prefix ~ '_status_final'
    ) %}
    {%- do ds_drop_scratch(scratch, prefix, last) %}
    {%- set posteriors = scratch ~ '.' ~ prefix ~ '_posteriors_final' %}
    {%- set status = scratch ~ '.' ~ prefix ~ '_status_final' %}
{%- else %}
    {%- set posteriors = ref('int_agreement__categorical_votes') %}
    {%- set status = ref('int_agreement__categorical_votes') %}
{%- endif %}
with

-- narrow: the keys and names, one row per (dataset, label)
datasets as (
    select distinct
        dataset_id,
        project_id,
        control_name,
        control_type,
        label_key,
        label
    from {{ ref('int_agreement__categorical_votes') }}
),

final as (
    select
        datasets.project_id,
        datasets.control_name,
        datasets.control_type,
        posteriors.dataset_id,
        posteriors.task_id,
        datasets.label as class_label,
        posteriors.class_key,
        posteriors.posterior,
        status.n_iterations,
        status.is_done as is_converged,
        status.elbo
    from {{ posteriors }} as posteriors
    inner join datasets
        on posteriors.dataset_id = datasets.dataset_id
        and posteriors.class_key = datasets.label_key
    inner join {{ status }} as status
        on posteriors.dataset_id = status.dataset_id
)

select * from final
