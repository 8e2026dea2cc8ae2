{#- A human judgment on one control normalised to [0, 1] so it can be compared with a model score.
    metric_version: judgment_normalisation_v1
      Rating:  (rating - 1) / (maxRating - 1), maxRating from the labeling config (Rating starts at 1)
      Number:  (number - min) / (max - min), when the config declares both min and max
      Choices: the label's value from seeds/label_values.csv (single-choice picks only)
    Anything else, a value outside its declared range, or a label missing from the seed gives null
    (never a guessed number). -#}
{% macro model_eval_normalised_judgment(control_type, rating, max_rating, number_value, min_value, max_value, label_value) -%}
    case
        when {{ control_type }} = 'rating'
            and {{ max_rating }} > 1
            and {{ rating }} between 1 and {{ max_rating }}
            then ({{ rating }} - 1) / ({{ max_rating }} - 1)
        when {{ control_type }} = 'number'
            and {{ max_value }} > {{ min_value }}
            and {{ number_value }} between {{ min_value }} and {{ max_value }}
            then ({{ number_value }} - {{ min_value }}) / ({{ max_value }} - {{ min_value }})
        when {{ control_type }} = 'choices'
            and {{ label_value }} between 0 and 1
            then {{ label_value }}
    end
{%- endmacro %}
