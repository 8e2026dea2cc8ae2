{#- The registry of agreement metrics: name -> metric_version, formula and source.
    Bump a metric's version whenever its definition (the macro named in `macro`) changes: the
    version is written next to every score (int_agreement__judgment_pairs_scored.metric_version), so scores
    computed under different definitions are never mixed silently.
    "Enterprise" = Label Studio Enterprise's documented agreement metrics
    (docs.humansignal.com/guide/agreement_metrics and /guide/stats). -#}
{% macro agreement_metrics() -%}
    {{ return({
        'exact_match': {
            'metric_version': 1,
            'control_keys': ['choices', 'choices_multiple', 'rating', 'number', 'textarea', 'pairwise', 'ranker', 'taxonomy'],
            'macro': 'metric_exact_match',
            'applies_to': 'choices (single), pairwise, ranker, any control via its canonical value key',
            'formula': '1 if value_key(a) = value_key(b) else 0',
            'source': 'Enterprise "Exact Match"',
        },
        'choices_jaccard': {
            'metric_version': 1,
            'control_keys': ['choices', 'choices_multiple'],
            'macro': 'metric_jaccard',
            'applies_to': 'choices (choice="multiple")',
            'formula': '|A n B| / |A u B| over the picked choices; both empty 1, one empty 0',
            'source': 'Enterprise "Jaccard Similarity"',
        },
        'numeric_difference': {
            'metric_version': 1,
            'control_keys': ['rating', 'number'],
            'macro': 'metric_numeric_difference',
            'applies_to': 'rating, number',
            'formula': '1 / (1 + |a - b|)',
            'source': 'Enterprise "Numeric Difference" (default for Number and Rating)',
        },
        'numeric_scaled': {
            'metric_version': 1,
            'control_keys': ['rating', 'number'],
            'macro': 'metric_numeric_scaled',
            'applies_to': 'rating (scale 1..maxRating), number (min..max)',
            'formula': '1 - |a - b| / (max - min); NULL when the scale is unknown',
            'source': 'Concord: scale-aware variant of Enterprise "Numeric Difference"',
        },
        'text_levenshtein': {
            'metric_version': 1,
            'control_keys': ['textarea'],
            'macro': 'metric_text_levenshtein',
            'applies_to': 'textarea',
            'formula': 'mean over line positions i < max(n_a, n_b) of 1 - lev(a_i, b_i) / max(len a_i, len b_i); a line missing on one side scores 0; both empty 1',
            'source': 'Enterprise "Edit distance" for TextArea (aligned texts, unaligned ones score 0)',
        },
        'span_iou': {
            'metric_version': 1,
            'control_keys': ['labels'],
            'macro': 'metric_span_iou',
            'applies_to': 'labels (text spans)',
            'formula': 'per region: best 1-D IoU on [start, end) among the other side\'s regions with the same labels (0 if none); mean over the regions of both sides',
            'source': 'Enterprise "Intersection over 1D regions"; worked example (0.71 + 0.35 + 0.71 + 0.35) / 4 = 0.53',
        },
        'box_iou': {
            'metric_version': 1,
            'control_keys': ['rectanglelabels'],
            'macro': 'metric_box_iou_axis_aligned / agreement_rotated_box_intersections',
            'applies_to': 'rectanglelabels',
            'formula': 'per region: best box IoU among the other side\'s boxes with the same labels (0 if none); mean over the boxes of both sides; rotated boxes by exact convex-polygon intersection',
            'source': 'Enterprise "Intersection over Union" for RectangleLabels',
        },
        'ranker_kendall_tau': {
            'metric_version': 1,
            'control_keys': ['ranker'],
            'macro': 'metric_ranker_kendall_tau',
            'applies_to': 'ranker',
            'formula': '(tau_a + 1) / 2 over the items both orders contain; fewer than 2 common items: exact match',
            'source': 'Kendall (1938) tau-a mapped to [0, 1]',
        },
        'taxonomy_exact': {
            'metric_version': 1,
            'control_keys': ['taxonomy'],
            'macro': 'metric_exact_match',
            'applies_to': 'taxonomy',
            'formula': '1 if the sets of picked root-to-leaf paths are equal else 0',
            'source': 'Enterprise "Exact Match" (its default for Taxonomy, and Concord\'s)',
        },
        'taxonomy_jaccard': {
            'metric_version': 1,
            'control_keys': ['taxonomy'],
            'macro': 'metric_jaccard',
            'applies_to': 'taxonomy',
            'formula': '|A n B| / |A u B| over full root-to-leaf paths',
            'source': 'Enterprise "Common Labels Matches" (full-path credit)',
        },
        'taxonomy_common_subtree': {
            'metric_version': 1,
            'control_keys': ['taxonomy'],
            'macro': 'metric_jaccard',
            'applies_to': 'taxonomy',
            'formula': '|A n B| / |A u B| over the picked nodes and all their ancestors (path prefixes)',
            'source': 'Enterprise "Common Subtree Matches" (IoU over the subtree of selected nodes)',
        },
    }) }}
{%- endmacro %}
