-- One row per (project, control, profile, category): n_uc and n_uc / m_u (Gwet's prevalence,
-- Fleiss' shares).
{{ reliability_profile_categories(ref('int_reliability__profiles')) }}
