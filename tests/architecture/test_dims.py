"""dim_tasks and dim_annotators on the real fixtures: one row per task / annotator, counts equal
to what staging holds, and every task and annotator a fact names is in them."""

from __future__ import annotations

from conftest import query


def test_dim_tasks_has_every_task_once_with_its_counts(built_warehouse):
    assert (
        query(
            built_warehouse,
            """
        select task_id, project_id, ext_id, is_deleted from staging.stg_label_studio__tasks
        except all
        select task_id, project_id, ext_id, is_deleted from marts.dim_tasks""",
        )
        == []
    )
    assert query(built_warehouse, "select count(*) from marts.dim_tasks") == query(
        built_warehouse, "select count(*) from staging.stg_label_studio__tasks"
    )
    # counts per task, recomputed from staging
    assert (
        query(
            built_warehouse,
            """
        select task_id, n_submitted_annotations, n_skipped_annotations from marts.dim_tasks
        except
        select tasks.task_id,
            count(annotations.annotation_id) filter (where not annotations.is_cancelled),
            count(annotations.annotation_id) filter (where annotations.is_cancelled)
        from staging.stg_label_studio__tasks as tasks
        left join staging.stg_label_studio__annotations as annotations
            on tasks.task_id = annotations.task_id
        group by tasks.task_id""",
        )
        == []
    )
    # the fixture's design: task 4 (byos) has three submitted annotations; task 27 only skips
    assert query(
        built_warehouse,
        "select n_submitted_annotations, n_annotators from marts.dim_tasks where task_id = 4",
    ) == [(3, 3)]
    assert (
        query(
            built_warehouse,
            "select n_submitted_annotations, n_skipped_annotations from marts.dim_tasks where task_id = 27",
        )[0][0]
        == 0
    )


def test_dim_annotators_counts_and_coverage(built_warehouse):
    rows = dict(
        query(
            built_warehouse,
            "select annotator_email, n_submitted_annotations from marts.dim_annotators",
        )
    )
    assert set(rows) == {f"{n}@example.com" for n in ("admin", "alice", "bob", "chloe", "dan")}
    assert (
        sum(rows.values())
        == query(
            built_warehouse,
            """
        select count(*) from staging.stg_label_studio__annotations
        where not is_cancelled and annotator_id is not null""",
        )[0][0]
    )
    for relation, column in (
        ("marts.fct_annotator_agreement", "annotator_id"),
        ("marts.fct_pair_agreement", "annotator_id_a"),
        ("marts.fct_pair_agreement", "annotator_id_b"),
    ):
        assert (
            query(
                built_warehouse,
                f"""
            select {column} from {relation} where {column} is not null
            except select annotator_id from marts.dim_annotators""",
            )
            == []
        ), relation
    for relation in (
        "marts.fct_control_agreement",
        "marts.fct_review_queue",
        "marts.fct_training_candidates",
    ):
        assert (
            query(
                built_warehouse,
                f"""
            select task_id from {relation} except select task_id from marts.dim_tasks""",
            )
            == []
        ), relation
