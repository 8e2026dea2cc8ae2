-- One row per (project, control, profile): the statistics units of the profile share, n_units.
{{ reliability_profiles(ref('int_reliability__unit_profiles')) }}
