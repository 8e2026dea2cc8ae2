-- One row per agreement metric of the agreement_metrics() registry (macros/metrics/): its version,
-- the control types it applies to, formula and source.
{%- set metrics = agreement_metrics() %}
with

metrics as (
    {%- for metric_name, metric in metrics.items() %}
        select
            '{{ metric_name }}' as metric_name,
            {{ metric['metric_version'] }} as metric_version,
            '{{ metric['control_keys'] | join(', ') }}' as control_types,
            '{{ metric['macro'] }}' as macro_name,
            '{{ metric['formula'] | replace("'", "''") }}' as formula,
            '{{ metric['source'] | replace("'", "''") }}' as source
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select * from metrics
