-- The default training set, one row per task and control: fct_training_candidates_by_control
-- filtered with the dbt vars `concord extract --control ...` defaults to (var
-- concord_extract_controls: the controls; empty: every scored control). The filters are defined
-- once, in macros/training/training_examples.sql (the extract calls the same definition).
{{ training_examples_by_control_sql(
    ref('fct_training_candidates_by_control'),
    training_examples_var_args()
) }}
