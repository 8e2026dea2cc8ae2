{{ config(post_hook=[
    "{{ training_create_table_macro('task') }}",
    "{{ training_create_table_macro('control') }}",
]) }}
-- The default training set, one row per task: fct_training_candidates filtered with the dbt vars
-- `concord extract` defaults to, so `dbt build` alone gives what `concord extract` writes with no
-- options. The filters are defined once, in macros/training/training_examples.sql; its post-hooks
-- create the table macros `concord extract` calls from the same definition.
{{ training_examples_sql(
    ref('fct_training_candidates'),
    ref('fct_training_candidates_by_control'),
    training_examples_var_args()
) }}
