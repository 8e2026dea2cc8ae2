-- One row per (project, control, profile, category c, category k) of units with 2+ values: the
-- unit's contribution to Krippendorff's coincidence matrix o_ck and to Gwet's quadratic
-- disagreement.
{{ reliability_profile_coincidences(ref('int_reliability__profile_categories')) }}
