"""Staging-shaped tables for testing the agreement models in isolation.

The agreement models read only the staging contract (docs/architecture.md). `Builder.write`
makes `staging.stg_*` tables with the contract's columns in a fresh DuckDB file
(staging_contract.write_staging); a test writes hand-worked or randomized rows (one project per dataset), then `run_agreement` builds only the
agreement seed and models (with their data tests) in ONE dbt invocation: dbt resolves
`ref('stg_...')` to these tables because the staging models themselves are not selected.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import staging_contract
from conftest import query_dicts  # noqa: F401  (the one query_dicts; tests import it from here)

# the staging relations the agreement models read; their columns and types come from the staging
# contract (tests/staging_contract.py), never copied here
STAGING_TABLES = (
    "stg_label_studio__tasks",
    "stg_label_studio__annotations",
    "stg_label_studio__annotation_results",
    "stg_label_studio__predictions",
    "stg_label_studio__prediction_results",
    "stg_label_studio__controls",
)

AGREEMENT_SELECTOR = [
    "control_metric_settings",
    "student_t_quantiles",
    "path:models/intermediate/agreement",
    "path:models/intermediate/reliability",
    "path:models/marts/agreement",
]


class Builder:
    """Accumulates staging rows for hand-made projects: tasks, annotations, results, predictions."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in STAGING_TABLES}
        self._ids = itertools.count(1)
        self._controls: set[tuple[int, str]] = set()

    def control(self, project_id: int, name: str, control_type: str, **attrs: Any) -> None:
        self._controls.add((project_id, name))
        self.rows["stg_label_studio__controls"].append(
            {
                "project_id": project_id,
                "control_name": name,
                "control_type": control_type,
                "is_multiple": False,
                "is_inferred": False,
                **attrs,
            }
        )

    def task(self, project_id: int, task_id: int | None = None, **attrs: Any) -> int:
        task_id = task_id if task_id is not None else next(self._ids)
        self.rows["stg_label_studio__tasks"].append(
            {"task_id": task_id, "project_id": project_id, "is_deleted": False, **attrs}
        )
        return task_id

    def annotation(
        self,
        project_id: int,
        task_id: int,
        annotator_id: int,
        results: Iterable[Mapping[str, Any]] = (),
        *,
        annotation_id: int | None = None,
        is_cancelled: bool = False,
        **attrs: Any,
    ) -> int:
        annotation_id = annotation_id if annotation_id is not None else next(self._ids)
        results = list(results)
        self.rows["stg_label_studio__annotations"].append(
            {
                "annotation_id": annotation_id,
                "task_id": task_id,
                "project_id": project_id,
                "annotator_id": annotator_id,
                "is_cancelled": is_cancelled,
                "is_ground_truth": False,
                "n_results": len(results),
                **attrs,
            }
        )
        if not is_cancelled:  # staging keeps results of submitted annotations only
            for index, result in enumerate(results):
                self.rows["stg_label_studio__annotation_results"].append(
                    {
                        "annotation_result_id": f"{annotation_id}-{index}",
                        "annotation_id": annotation_id,
                        "task_id": task_id,
                        "project_id": project_id,
                        "result_index": index,
                        **result,
                    }
                )
        return annotation_id

    def prediction(
        self,
        project_id: int,
        task_id: int,
        model_version: str,
        results: Iterable[Mapping[str, Any]] = (),
    ) -> int:
        prediction_id = next(self._ids)
        results = list(results)
        self.rows["stg_label_studio__predictions"].append(
            {
                "prediction_id": prediction_id,
                "task_id": task_id,
                "project_id": project_id,
                "model_version": model_version,
                "n_results": len(results),
            }
        )
        for index, result in enumerate(results):
            self.rows["stg_label_studio__prediction_results"].append(
                {
                    "prediction_result_id": f"{prediction_id}-{index}",
                    "prediction_id": prediction_id,
                    "task_id": task_id,
                    "project_id": project_id,
                    "model_version": model_version,
                    "result_index": index,
                    **result,
                }
            )
        return prediction_id

    def write(self, db: Path) -> None:
        staging_contract.write_staging(db, STAGING_TABLES, self.rows)


# result-item shorthands (the typed staging columns of one result)
def choices(name: str, *picked: str) -> dict[str, Any]:
    return {"control_name": name, "result_type": "choices", "choices": list(picked)}


def rating(name: str, value: float) -> dict[str, Any]:
    return {"control_name": name, "result_type": "rating", "rating": value}


def number(name: str, value: float) -> dict[str, Any]:
    return {"control_name": name, "result_type": "number", "number_value": value}


def textarea(name: str, *lines: str) -> dict[str, Any]:
    return {"control_name": name, "result_type": "textarea", "texts": list(lines)}


def span(name: str, start: int, end: int, *labels: str) -> dict[str, Any]:
    return {
        "control_name": name,
        "result_type": "labels",
        "span_start": start,
        "span_end": end,
        "region_labels": list(labels),
    }


def box(
    name: str,
    x: float,
    y: float,
    w: float,
    h: float,
    *labels: str,
    rotation: float = 0.0,
    image: tuple[int, int] | None = None,
) -> dict[str, Any]:
    row = {
        "control_name": name,
        "result_type": "rectanglelabels",
        "rect_x": x,
        "rect_y": y,
        "rect_width": w,
        "rect_height": h,
        "rect_rotation": rotation,
        "region_labels": list(labels),
    }
    if image:
        row["original_width"], row["original_height"] = image
    return row


def pairwise(name: str, selected: str) -> dict[str, Any]:
    return {
        "control_name": name,
        "to_name": name,
        "result_type": "pairwise",
        "pairwise_selected": selected,
    }


def ranker(name: str, *order: str) -> dict[str, Any]:
    return {"control_name": name, "result_type": "ranker", "ranker_order": list(order)}


def taxonomy(name: str, *paths: list[str]) -> dict[str, Any]:
    return {
        "control_name": name,
        "result_type": "taxonomy",
        "taxonomy_paths": [list(p) for p in paths],
    }


def run_agreement(
    db: Path,
    target_path: Path,
    *,
    dbt_vars: Mapping[str, Any] | None = None,
    command: str = "build",
) -> None:
    """Seed control_metric_settings and build every agreement model (and its tests) on `db`."""
    from concord.dbt import run_dbt

    args = [command, "--select", *AGREEMENT_SELECTOR]
    if dbt_vars:
        args += ["--vars", json.dumps(dict(dbt_vars))]
    os.environ.setdefault("DBT_LOG_PATH", str(target_path / "logs"))
    run_dbt(args, db, target_path=target_path, quiet=True)
