"""Training-set extracts: agreement-gated, reproducible files traceable to task and prediction ids.

The rows come from the dbt models in models/marts/training/: the candidates models carry every
task (or task x control) with the flags the filters need. The filters have one definition
(macros/training/training_examples.sql): the `fct_training_examples*` models render it with the
dbt vars, and the build creates table macros from it that `concord extract` calls with the
command line's options, so with default options it writes exactly the rows of
`fct_training_examples`.

Output (DIR): `train.<ext>`, `validation.<ext>`, `test.<ext>` (parquet or jsonl) and
`manifest.json`. Byte-identical on two runs of the same warehouse: rows sorted by key, no
timestamps in the data, parquet written with fixed settings by one pyarrow writer, JSON with
sorted keys. The extract is registered in `concord_meta.extracts` so `concord erase` can rewrite
it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from concord.governance_meta import ensure_meta_schema, meta_exists, project_var
from ingest.errors import ConcordError
from ingest.loading import pause_point

SPLITS = ("train", "validation", "test")
FORMATS = ("parquet", "jsonl")
MANIFEST = "manifest.json"
EXTRACT_VERSION = 1

TASK_MODEL = "marts.fct_training_candidates"
CONTROL_MODEL = "marts.fct_training_candidates_by_control"

# what a training row holds, in file order
TASK_COLUMNS = (
    "task_id", "project_id", "ext_id", "split", "data_json", "labels_json",
    "n_annotations", "min_agreement", "has_ground_truth", "model_version", "model_label",
    "model_score", "human_model_delta", "prediction_ids", "annotation_ids", "load_id",
)  # fmt: skip
CONTROL_COLUMNS = (
    "task_id", "project_id", "ext_id", "control_name", "control_type", "split", "data_json",
    "consensus_value", "agreement", "agreement_metric", "n_annotations", "ground_truth_value",
    "model_version", "model_label", "model_score", "human_model_delta", "prediction_ids",
    "annotation_ids", "load_id",
)  # fmt: skip


class ExtractError(ConcordError):
    """An extract that cannot be written; nothing was written."""


@dataclass(frozen=True)
class ExtractOptions:
    fmt: str = "parquet"
    min_agreement: float | None = None  # every control that has an agreement metric
    min_agreement_by_control: tuple[tuple[str, float], ...] = ()
    controls: tuple[str, ...] = ()  # empty: task grain; else one row per task and control
    min_annotations: int = 1
    split: tuple[float, float, float] = (0.8, 0.1, 0.1)
    split_seed: str = "concord"
    # the label of categorical controls: majority (consensus_value) or weighted (Dawid-Skene)
    label: str = "majority"
    min_posterior: float | None = None  # on the label's posterior, categorical controls only

    def as_json(self) -> dict[str, Any]:
        return {
            "format": self.fmt,
            "grain": "task_control" if self.controls else "task",
            "controls": sorted(self.controls),
            "min_agreement": self.min_agreement,
            "min_agreement_by_control": dict(sorted(self.min_agreement_by_control)),
            "min_annotations": self.min_annotations,
            "label": self.label,
            "min_posterior": self.min_posterior,
            "exclude_review_queue_unless_ground_truth": True,
            "exclude_skipped_only": True,
            "split": {
                "ratios": dict(zip(SPLITS, self.split, strict=True)),
                "seed": self.split_seed,
            },
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> ExtractOptions:
        return cls(
            fmt=value["format"],
            min_agreement=value["min_agreement"],
            min_agreement_by_control=tuple(sorted(value["min_agreement_by_control"].items())),
            controls=tuple(value["controls"]),
            min_annotations=value["min_annotations"],
            split=tuple(value["split"]["ratios"][s] for s in SPLITS),  # type: ignore[arg-type]
            split_seed=value["split"]["seed"],
            # manifests written before --label existed: the majority label, no posterior gate
            label=value.get("label", "majority"),
            min_posterior=value.get("min_posterior"),
        )


def default_options(fmt: str = "parquet") -> ExtractOptions:
    """The defaults: dbt vars (the same ones fct_training_examples filters with)."""
    min_agreement = project_var("concord_extract_min_agreement", None)
    return ExtractOptions(
        fmt=fmt,
        min_agreement=None if min_agreement is None else float(min_agreement),
        min_agreement_by_control=tuple(
            sorted(
                (str(k), float(v))
                for k, v in (
                    project_var("concord_extract_min_agreement_by_control", {}) or {}
                ).items()
            )
        ),
        min_annotations=int(project_var("concord_extract_min_annotations", 1)),
        split=parse_split(project_var("concord_extract_split", [0.8, 0.1, 0.1])),
        split_seed=str(project_var("concord_split_seed", "concord")),
        label=parse_label(project_var("concord_extract_label", "majority")),
        min_posterior=parse_min_posterior(project_var("concord_extract_min_posterior", None)),
    )


LABELS = ("majority", "weighted")


def parse_label(value: Any) -> str:
    """majority or weighted (the label of categorical controls)."""
    if value not in LABELS:
        raise ExtractError(f"--label {value!r}: expected one of {', '.join(LABELS)}")
    return str(value)


def parse_min_posterior(value: Any) -> float | None:
    """None, or a posterior probability in [0, 1]."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ExtractError(f"--min-posterior {value!r}: expected a number in [0, 1]") from None
    if not 0.0 <= number <= 1.0:
        raise ExtractError(f"--min-posterior {value!r}: the posterior must be in [0, 1]")
    return number


def parse_split(value: Any) -> tuple[float, float, float]:
    """'0.8,0.1,0.1' or a list of three ratios >= 0 summing to 1."""
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
    else:
        parts = list(value)
    try:
        ratios = [float(p) for p in parts]
    except (TypeError, ValueError):
        raise ExtractError(
            f"--split {value!r}: expected three numbers train,validation,test (e.g. 0.8,0.1,0.1)"
        ) from None
    if len(ratios) != 3 or any(r < 0 for r in ratios) or abs(sum(ratios) - 1.0) > 1e-9:
        raise ExtractError(
            f"--split {value!r}: expected three ratios >= 0 that sum to 1 (e.g. 0.8,0.1,0.1)"
        )
    return (ratios[0], ratios[1], ratios[2])


def split_bucket(task_id: int, seed: str = "concord") -> float:
    """The task's place in [0, 1): first 32 bits of md5('<seed>:<task_id>'), over 2**32.

    Depends on the task id alone, so a task keeps its split when other tasks arrive. The dbt
    macro `training_split_bucket` (macros/training/) computes the same number in SQL.
    """
    digest = hashlib.md5(f"{seed}:{task_id}".encode()).hexdigest()
    return int(digest[:8], 16) / 2**32


def split_of(bucket: float, ratios: tuple[float, float, float]) -> str:
    """The split of a bucket, as the dbt macro `training_split` gives it (tests compare them)."""
    if bucket < ratios[0]:
        return "train"
    if bucket < ratios[0] + ratios[1]:
        return "validation"
    return "test"


# ---------------------------------------------------------------------------------------------
# selecting rows

# the table macros the build creates from the filters' one definition
# (macros/training/training_examples.sql, post-hooks of fct_training_examples)
TASK_MACRO = "training_examples"
CONTROL_MACRO = "training_examples_by_control"


def _relation_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, name = qualified.split(".")
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


def _table_macro_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_functions()"
            " where function_name = ? and function_type = 'table_macro'",
            [name],
        ).fetchone()[0]
    )


def select_rows(con: duckdb.DuckDBPyConnection, options: ExtractOptions) -> pa.Table:
    """The extract's rows (all splits), sorted, as an Arrow table with a `split` column.

    The filters are the ones `fct_training_examples` applies, from the same definition: the
    table macros training_examples / training_examples_by_control, which the build creates from
    macros/training/training_examples.sql (the rules are documented there and in
    docs/governance.md), called here with the command line's options in place of the dbt vars.
    """
    for model in (TASK_MODEL, CONTROL_MODEL):
        if not _relation_exists(con, model):
            raise ExtractError(
                f"{model} does not exist in the warehouse: run `concord build` (dbt build) first"
            )
    for macro in (TASK_MACRO, CONTROL_MACRO):
        if not _table_macro_exists(con, macro):
            raise ExtractError(
                f"the table macro {macro} does not exist in the warehouse (it was built by an"
                " older Concord): run `concord build` (dbt build) first"
            )
    thresholds = dict(options.min_agreement_by_control)
    known = {
        row[0]
        for row in con.execute(f"select distinct control_name from {CONTROL_MODEL}").fetchall()
    }
    for name in [*options.controls, *thresholds]:
        if name not in known:
            listed = ", ".join(sorted(known)) or "none"
            raise ExtractError(f"control {name!r} is not in the warehouse (controls: {listed})")
    params: dict[str, Any] = {
        "min_annotations": options.min_annotations,
        "min_agreement": options.min_agreement,
        "threshold_names": list(thresholds),
        "threshold_values": [float(v) for v in thresholds.values()],
        "label": parse_label(options.label),
        "min_posterior": options.min_posterior,
        "train_ratio": float(options.split[0]),
        "validation_ratio": float(options.split[1]),
    }
    arguments = """
        $min_annotations::bigint, $min_agreement::double, $threshold_names::varchar[],
        $threshold_values::double[], $label::varchar, $min_posterior::double,
        $train_ratio::double, $validation_ratio::double
    """
    if options.controls:
        params["controls"] = sorted(options.controls)
        query = f"""
            select * from {CONTROL_MACRO}({arguments}, $controls::varchar[])
            order by task_id, control_name
        """
        columns = CONTROL_COLUMNS
    else:
        query = f"select * from {TASK_MACRO}({arguments}) order by task_id"
        columns = TASK_COLUMNS
    table = con.sql(query, params=params).to_arrow_table()
    if isinstance(table, pa.RecordBatchReader):
        table = table.read_all()
    if tuple(table.column_names) != columns:
        raise ExtractError(
            f"the table macro returns columns {table.column_names}, expected {list(columns)}:"
            " run `concord build` (dbt build) to recreate it"
        )
    return table.combine_chunks()


# ---------------------------------------------------------------------------------------------
# writing and reading files


def _canonical_type(dtype: pa.DataType) -> pa.DataType:
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        return pa.list_(pa.field("element", _canonical_type(dtype.value_type)))
    if pa.types.is_large_string(dtype):
        return pa.string()
    return dtype


def canonical_table(table: pa.Table) -> pa.Table:
    """One Arrow schema for the same rows however they were read (DuckDB names list items 'l',
    parquet 'element'): what makes a rewritten file byte-identical to a fresh one."""
    schema = pa.schema(
        [pa.field(f.name, _canonical_type(f.type), nullable=True) for f in table.schema]
    )
    return table.cast(schema).combine_chunks()


def _write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(
        canonical_table(table),
        path,
        compression="zstd",
        compression_level=3,
        use_dictionary=True,
        write_statistics=True,
        row_group_size=100_000,
    )


def _write_jsonl(table: pa.Table, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.writelines(
            json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
            for row in table.to_pylist()
        )


def _write_split(table: pa.Table, path: Path, fmt: str) -> None:
    if fmt == "parquet":
        _write_parquet(table, path)
    else:
        _write_jsonl(table, path)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_extract_rows(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Rows of one extract file (parquet, jsonl, or manifest.json as one row)."""
    path = Path(path)
    if path.suffix == ".parquet":
        yield from pq.read_table(path).to_pylist()
    elif path.suffix == ".jsonl":
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)
    elif path.suffix == ".json":
        with open(path, encoding="utf-8") as handle:
            yield json.load(handle)


def extract_data_files(directory: str | os.PathLike[str]) -> list[Path]:
    """The extract's files in a directory (data files and manifest), sorted."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return sorted(
        p
        for p in directory.iterdir()
        if p.is_file()
        and (p.name == MANIFEST or (p.stem in SPLITS and p.suffix in (".parquet", ".jsonl")))
    )


def _manifest(
    con: duckdb.DuckDBPyConnection,
    options: ExtractOptions,
    files: dict[str, tuple[str, int, str]],
    load_ids: set[str],
    metric_versions: dict[str, list[str]],
) -> dict[str, Any]:
    loads = []
    if load_ids and _relation_exists(con, "raw_label_studio.loads"):
        for load_id, file_name, sha, project_id in con.execute(
            "select load_id, file_name, file_sha256, project_id from raw_label_studio.loads"
            " where list_contains(?, load_id) order by load_id",
            [sorted(load_ids)],
        ).fetchall():
            loads.append(
                {
                    "load_id": load_id,
                    "file_name": file_name,
                    "file_sha256": sha,
                    "project_id": project_id,
                }
            )
    file_entries = {
        split: {"file": name, "rows": rows, "sha256": sha}
        for split, (name, rows, sha) in files.items()
    }
    content = hashlib.sha256(
        json.dumps(file_entries, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    return {
        "concord_extract_version": EXTRACT_VERSION,
        "options": options.as_json(),
        "row_counts": {
            **{split: files[split][1] for split in SPLITS},
            "total": sum(files[split][1] for split in SPLITS),
        },
        "files": file_entries,
        "metric_versions": metric_versions,
        "split_method": (
            "bucket = first 32 bits of md5('<seed>:<task_id>') / 2^32; train if bucket < r_train,"
            " validation if < r_train + r_validation, else test"
        ),
        "loads": loads,
        "content_sha256": content,
    }


def _metric_versions(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Versions of the metric definitions the rows came from (columns `*metric_version*`)."""
    out: dict[str, list[str]] = {}
    for model in (CONTROL_MODEL, TASK_MODEL):
        schema, name = model.split(".")
        cols = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns"
                " where table_schema = ? and table_name = ? and column_name like '%metric_version%'"
                " order by 1",
                [schema, name],
            ).fetchall()
        ]
        for col in cols:
            values = con.execute(
                f'select distinct cast("{col}" as varchar) from {model} where "{col}" is not null order by 1'
            ).fetchall()
            out.setdefault(col, sorted({*out.get(col, []), *(v[0] for v in values)}))
    return out


def _write_all(
    con: duckdb.DuckDBPyConnection,
    table: pa.Table,
    options: ExtractOptions,
    out_dir: Path,
    metric_versions: dict[str, list[str]],
    suffix: str = "",
) -> tuple[dict[str, Any], list[tuple[Path, Path]]]:
    """Write split files and manifest as `<name><suffix>`; return manifest and (written, final)."""
    ext = options.fmt
    written: list[tuple[Path, Path]] = []
    files: dict[str, tuple[str, int, str]] = {}
    split_col = table.column("split").to_pylist()
    for split in SPLITS:
        mask = pa.array([s == split for s in split_col], type=pa.bool_())
        part = table.filter(mask)
        final = out_dir / f"{split}.{ext}"
        target = out_dir / f"{split}.{ext}{suffix}"
        _write_split(part, target, ext)
        files[split] = (final.name, part.num_rows, _sha256_file(target))
        written.append((target, final))
    load_ids = {v for v in table.column("load_id").to_pylist() if v is not None}
    manifest = _manifest(con, options, files, load_ids, metric_versions)
    final = out_dir / MANIFEST
    target = out_dir / f"{MANIFEST}{suffix}"
    target.write_text(
        json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    written.append((target, final))
    return manifest, written


@dataclass
class ExtractResult:
    out_dir: Path
    manifest: dict[str, Any]
    files: list[Path] = field(default_factory=list)

    def lines(self) -> list[str]:
        counts = self.manifest["row_counts"]
        return [
            (
                f"wrote {counts['total']} row(s) to {self.out_dir}: train {counts['train']},"
                f" validation {counts['validation']}, test {counts['test']}"
            ),
            f"manifest: {self.out_dir / MANIFEST} (content sha256 {self.manifest['content_sha256']})",
        ]


def write_extract(
    con: duckdb.DuckDBPyConnection, out_dir: str | os.PathLike[str], options: ExtractOptions
) -> ExtractResult:
    """Select, write (temp files, then rename) and register an extract."""
    if options.fmt not in FORMATS:
        raise ExtractError(f"--format {options.fmt!r}: expected one of {', '.join(FORMATS)}")
    out = Path(out_dir).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise ExtractError(f"--out {out_dir}: exists and is not a directory")
    if out.is_dir():
        foreign = [
            p.name
            for p in out.iterdir()
            if p not in extract_data_files(out) and not p.name.endswith(".tmp")
        ]
        if foreign and not (out / MANIFEST).exists():
            raise ExtractError(
                f"--out {out_dir}: directory is not empty and holds no Concord extract"
                f" ({foreign[0]}); choose an empty or new directory"
            )
    table = select_rows(con, options)
    metric_versions = _metric_versions(con)
    out.mkdir(parents=True, exist_ok=True)
    # old files of the other format would be left behind: remove them with the new write
    stale = [p for p in extract_data_files(out) if p.suffix not in (f".{options.fmt}", ".json")]
    # journal the temp files before they exist: a process killed while writing them leaves rows
    # the next command acts on (concord/erasure/journal.py deletes the temp files)
    ensure_meta_schema(con)
    journal_id = f"extract:{out}"
    temps = [
        [journal_id, str(out / f"{split}.{options.fmt}"), str(out / f"{split}.{options.fmt}.tmp")]
        for split in SPLITS
    ] + [[journal_id, str(out / MANIFEST), str(out / f"{MANIFEST}.tmp")]]
    con.execute("delete from concord_meta.pending_file_rewrites where erasure_id = ?", [journal_id])
    con.executemany("insert into concord_meta.pending_file_rewrites values (?, ?, ?)", temps)
    manifest, written = _write_all(con, table, options, out, metric_versions, suffix=".tmp")
    pause_point("extract_before_rename")
    # register first, then rename: an extract on disk is always one erasure knows about
    con.execute("begin transaction")
    try:
        con.execute("delete from concord_meta.extracts where extract_dir = ?", [str(out)])
        con.execute(
            "insert into concord_meta.extracts values (?, ?, ?, ?, ?)",
            [
                str(out),
                options.fmt,
                json.dumps(options.as_json(), sort_keys=True),
                manifest["content_sha256"],
                manifest["row_counts"]["total"],
            ],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        for temp, _final in written:
            temp.unlink(missing_ok=True)
        con.execute(
            "delete from concord_meta.pending_file_rewrites where erasure_id = ?", [journal_id]
        )
        raise
    for temp, final in written:
        os.replace(temp, final)
    for path in stale:
        path.unlink()
    con.execute("delete from concord_meta.pending_file_rewrites where erasure_id = ?", [journal_id])
    return ExtractResult(out, manifest, [final for _, final in written])


def registered_extract_dirs(con: duckdb.DuckDBPyConnection) -> list[str]:
    if not meta_exists(con):
        return []
    return [
        r[0]
        for r in con.execute("select extract_dir from concord_meta.extracts order by 1").fetchall()
    ]


def _read_table(path: Path, fmt: str) -> pa.Table:
    if fmt == "parquet":
        return pq.read_table(path)
    rows = list(read_extract_rows(path))
    return pa.Table.from_pylist(rows) if rows else pa.table({})


def rewrite_extracts_without(
    con: duckdb.DuckDBPyConnection,
    task_ids: set[str],
    erasure_id: str,
    temp_files: list[tuple[str, str]],
) -> dict[str, int]:
    """Inside the erasure transaction: write every registered extract that holds one of these
    tasks again without them, to `<file>.<erasure_id>.tmp`, and update the registry.

    The caller renames the temp files after its commit (and deletes them on rollback); each
    (final, temp) pair is appended to `temp_files` as soon as it exists. Returns rows removed per
    extract directory.
    """
    removed: dict[str, int] = {}
    erased = {int(t) for t in task_ids}
    for directory in registered_extract_dirs(con):
        out = Path(directory)
        manifest_path = out / MANIFEST
        if not manifest_path.exists():
            continue
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        options = ExtractOptions.from_json(manifest["options"])
        tables = []
        n_removed = 0
        for split in SPLITS:
            path = out / f"{split}.{options.fmt}"
            if not path.exists():
                continue
            table = _read_table(path, options.fmt)
            if table.num_rows:
                flags = [t not in erased for t in table.column("task_id").to_pylist()]
                n_removed += flags.count(False)
                table = table.filter(pa.array(flags, type=pa.bool_()))
            tables.append(table)
        if not n_removed:
            continue
        non_empty = [t for t in tables if t.num_rows or options.fmt == "parquet"]
        table = (
            pa.concat_tables(non_empty, promote_options="default")
            if non_empty
            else pa.table(
                {"split": pa.array([], pa.string()), "load_id": pa.array([], pa.string())}
            )
        )
        suffix = f".{erasure_id}.tmp"
        _, written = _write_all(
            con, table, options, out, manifest.get("metric_versions", {}), suffix
        )
        temp_files.extend((str(final), str(temp)) for temp, final in written)
        new_manifest = json.loads((out / f"{MANIFEST}{suffix}").read_text(encoding="utf-8"))
        con.execute(
            "update concord_meta.extracts set content_sha256 = ?, n_rows = ? where extract_dir = ?",
            [new_manifest["content_sha256"], new_manifest["row_counts"]["total"], directory],
        )
        removed[directory] = int(n_removed)
    return removed
