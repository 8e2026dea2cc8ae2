-- One row per (project, control) of the agreement engine: which kind of value the reliability
-- coefficients read (#13 split of fct_control_reliability). Choices (single) and Pairwise are
-- categorical, Rating and Number numeric; other types: value_kind NULL (no coefficient).
select
    project_id,
    control_name,
    control_type,
    case
        when control_type in ('rating', 'number') then 'numeric'
        when control_type = 'pairwise' or control_key = 'choices' then 'categorical'
    end as value_kind
from {{ ref('int_agreement__control_settings') }}
