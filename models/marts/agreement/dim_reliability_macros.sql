{{ config(post_hook="{{ reliability_create_table_macros() }}") }}
-- The DuckDB table macros this build creates in the warehouse (#14 item 7), one row each: call
-- them from any SQL client on the warehouse (docs/agreement.md "Reliability on any subset").
select
    'reliability_for_tasks' as macro_name,
    'select * from reliability_for_tasks((select list(task_id) from <tasks you choose>))' as usage,
    'every coefficient of fct_control_reliability_ci (estimate, bootstrap interval, reasons)'
    || ' for the chosen tasks' as description,
    cast({{ var('concord_bootstrap_replicates') }} as bigint) as n_replicates,
    cast({{ var('concord_bootstrap_level') }} as double) as ci_level,
    cast({{ var('concord_bootstrap_seed') }} as bigint) as bootstrap_seed
