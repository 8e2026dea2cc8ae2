{#- A training candidate's labels object, built per task by a window over its controls
    (training_json_object_agg): {control: {consensus_value, agreement, agreement_metric,
    n_annotations, ground_truth_value, model_label, model_score, human_model_delta}}, keys sorted.
    `consensus_value` is the expression of the consensus to put in it: the majority consensus
    (labels_json) or the Dawid-Skene weighted label where the control has one
    (weighted_labels_json). Read from fct_training_candidates_by_control's columns. -#}
{% macro training_labels_object(consensus_value) -%}
    {{ training_json_object_agg('control_name', training_json_object([
        'consensus_value', consensus_value,
        'agreement', 'agreement',
        'agreement_metric', 'agreement_metric',
        'n_annotations', 'n_annotations',
        'ground_truth_value', 'ground_truth_value',
        'model_label', 'model_label',
        'model_score', 'model_score',
        'human_model_delta', 'human_model_delta',
    ]), 'task_id') }}
{%- endmacro %}
