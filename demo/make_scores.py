"""Regenerate the demo score tables from the bundled byos_text export (deterministic).

    .venv/bin/python demo/make_scores.py

- concord/demo_data/scores/byos_text_scores.csv: an external sentiment model ("ext-sentiment-2026.11") scoring
  each byos_text task, keyed by the task data field `ext_id` (`--key data.ext_id`): the task's
  in-data score nudged by a fixed pseudo-random amount, clipped to [0, 1].
- concord/demo_data/scores/byos_text_prediction_calibrated.parquet: a calibration pass over every Label Studio
  prediction of byos_text, keyed by `prediction_id` (`--key prediction_id`).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
DEMO_DATA = HERE.parent / "concord" / "demo_data"  # the package data `concord demo` loads
EXPORT = DEMO_DATA / "label_studio" / "byos_text" / "export_snapshot.json"


def main() -> None:
    tasks = json.loads(EXPORT.read_text(encoding="utf-8"))  # a 145 KB fixture, not an ingest path
    rng = random.Random(20261128)
    rows = []
    for task in sorted(tasks, key=lambda t: t["data"]["ext_id"]):
        base = float(task["data"]["score"])
        score = min(1.0, max(0.0, base + rng.uniform(-0.08, 0.08)))
        rows.append(
            {
                "ext_id": task["data"]["ext_id"],
                "score": round(score, 4),
                "model_version": "ext-sentiment-2026.11",
                "scored_at": f"2026-11-2{rng.randint(0, 7)}T{rng.randint(0, 23):02d}:00:00Z",
            }
        )
    pl.DataFrame(rows).write_csv(DEMO_DATA / "scores" / "byos_text_scores.csv")
    preds = []
    for task in tasks:
        for pred in task["predictions"]:
            raw = pred["score"] if pred["score"] is not None else 0.5
            calibrated = 1.0 / (1.0 + (2.718281828 ** (-(4.0 * (raw - 0.5)))))
            preds.append(
                {
                    "prediction_id": pred["id"],
                    "score": round(calibrated, 4),
                    "model_version": pred["model_version"] + "-calibrated",
                }
            )
    preds.sort(key=lambda r: r["prediction_id"])
    pl.DataFrame(preds).write_parquet(DEMO_DATA / "scores" / "byos_text_prediction_calibrated.parquet")


if __name__ == "__main__":
    main()
