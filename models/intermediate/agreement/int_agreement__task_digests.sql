-- The change feed of the incremental agreement engine (docs/incremental.md): one row per task, with
-- a digest of every staging row the per-task models read (int_agreement__judgments,
-- __judgment_values, __judgment_regions, __judgment_pairs_scored), and a digest of its project's
-- control settings. A task whose digests differ from the ones recorded at the
-- last complete build (concord_state.agreement_watermark) is rebuilt by those models; no other is.
--
-- Digests are sums of DuckDB's 64-bit row hashes (a sum, not a xor: two equal rows do not cancel).
-- They are taken over the staging OUTPUT, so whatever staging resolves across tasks (the email ->
-- user id map of annotations, predictions found in one task but belonging to another, controls
-- inferred from results) shows up in the digest of the task it lands on.
-- tests/incremental/test_incremental_inputs.py holds the per-task models to these inputs.
with

-- a task row without its load metadata: re-ingesting an unchanged task (a daily full export)
-- gives it a new load_id and loaded_at, and the per-task models read neither
tasks as (
    select * exclude (load_id, loaded_at, source_format)
    from {{ ref('stg_label_studio__tasks') }}
),

row_hashes as (
    select
        tasks.task_id,
        tasks.project_id,
        hash(tasks) as row_hash
    from tasks
    union all
    select
        annotations.task_id,
        annotations.project_id,
        hash(annotations) as row_hash
    from {{ ref('stg_label_studio__annotations') }} as annotations
    union all
    select
        annotation_results.task_id,
        annotation_results.project_id,
        hash(annotation_results) as row_hash
    from {{ ref('stg_label_studio__annotation_results') }} as annotation_results
    union all
    select
        predictions.task_id,
        predictions.project_id,
        hash(predictions) as row_hash
    from {{ ref('stg_label_studio__predictions') }} as predictions
    union all
    select
        prediction_results.task_id,
        prediction_results.project_id,
        hash(prediction_results) as row_hash
    from {{ ref('stg_label_studio__prediction_results') }} as prediction_results
),

task_content as (
    select
        task_id,
        min(project_id) as project_id,
        count(*) as n_rows,
        sum(cast(row_hash as hugeint)) as row_hash_sum
    from row_hashes
    group by task_id
),

project_settings as (
    select
        control_settings.project_id,
        sum(cast(hash(control_settings) as hugeint)) as settings_hash_sum
    from {{ ref('int_agreement__control_settings') }} as control_settings
    group by control_settings.project_id
),

-- every project a task's rows belong to, with its settings: a prediction found in a task of
-- project 1 whose own `task` is in project 3 keeps project_id 1, so its values are read through
-- project 1's control settings while the task's annotations use project 3's (hostile review:
-- with the smallest project id alone, a settings change of project 3 missed that task)
task_projects as (
    select distinct
        task_id,
        project_id
    from row_hashes
),

task_project_settings as (
    select
        task_projects.task_id,
        hash(list(
            { 'project_id': task_projects.project_id, 'settings': project_settings.settings_hash_sum }
            order by task_projects.project_id
        )) as project_digest
    from task_projects
    left join project_settings
        on task_projects.project_id = project_settings.project_id
    group by task_projects.task_id
),

digests as (
    select
        task_content.task_id,
        task_content.project_id,
        hash(task_content.n_rows, task_content.row_hash_sum) as content_digest,
        -- a labeling config reaches the engine only through the control settings (controls,
        -- their metric and options) and the task rows (the Header's score field): a config
        -- change that alters neither cannot change the engine's rows
        task_project_settings.project_digest
    from task_content
    inner join task_project_settings
        on task_content.task_id = task_project_settings.task_id
)

select * from digests
