-- Where does the model's label differ from the human consensus label? The off-diagonal cells of
-- the model-vs-human confusion matrix, most frequent first, with the version's Cohen's kappa.
select
    confusion.project_id,
    confusion.control_name,
    confusion.model_version,
    confusion.model_label,
    confusion.human_label,
    confusion.n_units,
    kappa.cohen_kappa,
from {{ ref('fct_model_label_confusion') }} as confusion
left join {{ ref('fct_model_label_kappa') }} as kappa
    on confusion.project_id = kappa.project_id
    and confusion.control_name = kappa.control_name
    and confusion.model_version = kappa.model_version
where not confusion.is_diagonal and confusion.n_units > 0
order by confusion.n_units desc, confusion.project_id, confusion.control_name, confusion.model_version,
    confusion.model_label, confusion.human_label
