-- Do annotators who saw the model follow it? Each annotator's anchoring index (negative: tracks
-- the model more closely than their peers on the same tasks), flagged ones first.
select
    project_id,
    annotator_id,
    control_name,
    score_name,
    model_version,
    n_tasks,
    n_exposed_tasks,
    own_mean_abs_delta,
    peer_mean_abs_delta,
    anchoring_index,
    is_anchoring_flagged,
from {{ ref('fct_anchoring_index') }}
order by is_anchoring_flagged desc, anchoring_index nulls last, project_id, annotator_id
