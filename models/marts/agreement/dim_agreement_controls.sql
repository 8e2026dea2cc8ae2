-- One row per (project, control): which metric scores it, its version, threshold and weight, or
-- why it is not scored.
with

control_settings as (
    select * from {{ ref('int_agreement__control_settings') }}
)

select * from control_settings
