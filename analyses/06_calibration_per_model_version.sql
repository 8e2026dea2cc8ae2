-- The calibration of scores per model version: expected calibration error, accuracy against the
-- human consensus and mean confidence (worst calibrated first), with the most over-confident bin.
with

calibration as (
    select * from {{ ref('fct_model_calibration') }}
),

bins as (
    select * from {{ ref('fct_model_calibration_bins') }}
    where n_units > 0
),

most_overconfident_bin as (
    select
        project_id, control_name, score_source, score_name, model_version,
        arg_max(bin_lower, mean_score - accuracy) as overconfident_bin_lower,
        max(mean_score - accuracy) as overconfidence,
    from bins
    group by project_id, control_name, score_source, score_name, model_version
)

select
    calibration.project_id,
    calibration.control_name,
    calibration.score_source,
    calibration.score_name,
    calibration.model_version,
    calibration.n_units,
    calibration.accuracy,
    calibration.mean_score,
    calibration.ece,
    most_overconfident_bin.overconfident_bin_lower,
    most_overconfident_bin.overconfidence,
from calibration
left join most_overconfident_bin
    on calibration.project_id = most_overconfident_bin.project_id
    and calibration.control_name = most_overconfident_bin.control_name
    and calibration.score_source = most_overconfident_bin.score_source
    and calibration.score_name = most_overconfident_bin.score_name
    and calibration.model_version = most_overconfident_bin.model_version
order by calibration.ece desc nulls last, calibration.project_id, calibration.control_name, calibration.model_version
