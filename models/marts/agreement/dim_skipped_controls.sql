-- Controls that get no agreement score, with the reason: never dropped silently.
with

control_settings as (
    select * from {{ ref('int_agreement__control_settings') }}
),

skipped as (
    select
        project_id,
        control_name,
        control_type,
        metric_name,
        skip_reason
    from control_settings
    where not is_scored
)

select * from skipped
