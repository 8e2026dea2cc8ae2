"""`concord ingest scores`: external score tables (CSV, Parquet, JSON, NDJSON) -> raw_scores.*.

A score table holds one model score per row, keyed by a Label Studio prediction id, task id, or a
task data field (`data.ext_id`). Every row is validated before anything is written: the key is
present (and an integer for prediction_id / task_id), `score` is numeric and finite, the optional
`scored_at` parses as a timestamp. Bad rows are listed (the first few, with 1-based row numbers)
and nothing is loaded. Other columns are kept in `extra_json`.

Loading NAME again replaces the table NAME; loading the same files under the same name and key is
a no-op. Duplicate keys are kept (staging / checks flag conflicting scores).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingest.erased import drop_erased_score_rows
from ingest.errors import IngestError, ScoreTableError
from ingest.loading import (
    LoadResult,
    check_readable,
    connect,
    file_sha256,
    fresh_load_id,
    literal_paths_cleanup,
    make_load_id,
    record_load,
    sniff,
    sql_path,
    transaction,
    utc_now,
)

COMMAND = "scores"
SCORE_COLUMN = "score"
OPTIONAL_COLUMNS = ("model_version", "scored_at")
MAX_LISTED = 5
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-.]{0,127}$")
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-.]*$")


@dataclass(frozen=True)
class ScoreKey:
    kind: str  # prediction_id | task_id | data_field
    field: str | None  # the data field for kind data_field
    spec: str  # as given on the command line

    @property
    def column(self) -> str:
        return self.field if self.kind == "data_field" else self.kind


def parse_key(spec: str) -> ScoreKey:
    spec = (spec or "").strip()
    if spec in ("prediction_id", "task_id"):
        return ScoreKey(spec, None, spec)
    if spec.startswith("data."):
        name = spec[len("data.") :]
        if _FIELD.match(name):
            return ScoreKey("data_field", name, spec)
    raise IngestError(
        f"--key {spec!r}: expected prediction_id, task_id or data.FIELD (e.g. data.ext_id)"
    )


def read_score_table(path: Path, shown: str) -> tuple[pl.DataFrame, str]:
    """A score table file as a polars frame and its format (score_csv / score_parquet /
    score_json / score_ndjson), sniffed from its bytes; CSV cells stay text. The one reader:
    `concord ingest scores` and `concord ls push --scores` both read with it."""
    suffix = path.suffix.lower()
    head = sniff(path, 64)
    if not head:
        raise ScoreTableError("file is empty, expected a score table", file=shown)
    if head.startswith(b"PAR1") or suffix in (".parquet", ".pq"):
        fmt = "score_parquet"
    elif suffix in (".ndjson", ".jsonl"):
        fmt = "score_ndjson"
    elif suffix == ".json" or head[:1] in (b"[", b"{"):
        fmt = "score_json" if head[:1] == b"[" else "score_ndjson"
    elif head.startswith(b"<"):
        raise ScoreTableError(
            "this is XML, not a score table (a labeling config? use `concord ingest config`)",
            file=shown,
        )
    else:
        fmt = "score_csv"
    # polars expands glob characters too: `s*.csv` read every s...csv (issue #11); sql_path gives
    # a plain-named link to exactly this file
    literal = sql_path(path)
    try:
        if fmt == "score_parquet":
            frame = pl.read_parquet(literal)
        elif fmt == "score_csv":
            # every cell as text: we validate and convert ourselves, with row numbers
            frame = pl.read_csv(literal, infer_schema=False, encoding="utf8")
        elif fmt == "score_json":
            frame = pl.read_json(literal, infer_schema_length=None)
        else:
            frame = pl.read_ndjson(literal, infer_schema_length=None)
    except Exception as err:  # noqa: BLE001 - polars raises many types; all mean "cannot read"
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        label = {"score_parquet": "Parquet", "score_csv": "CSV", "score_json": "JSON"}.get(
            fmt, "NDJSON"
        )
        if fmt == "score_csv":
            located = _locate_csv_problem(path)
            if located:
                raise ScoreTableError(located, file=shown) from None
        raise ScoreTableError(f"cannot read as {label}: {first[:200]}", file=shown) from None
    return frame, fmt


def _locate_csv_problem(path: Path) -> str | None:
    """Find the first undecodable or ragged CSV row (1-based data row) with the csv module."""
    import csv
    import io

    with open(path, "rb") as raw:
        data = raw.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        return f"invalid UTF-8 at byte {err.start} (line {line}); score tables must be UTF-8"
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return None
    for row_no, row in enumerate(reader, start=1):
        if row and len(row) != len(header):
            return (
                f"row {row_no}: {len(row)} fields where the header has {len(header)}; "
                "nothing loaded"
            )
    return None


def _value_text(value) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:37] + "...")
    if value is None:
        return "empty"
    return str(value)


def _parse_timestamp(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def validate_table(frame: pl.DataFrame, key: ScoreKey, shown: str) -> pl.DataFrame:
    """Validated rows: row_number, key_value, score, model_version, scored_at, extra_json."""
    columns = list(frame.columns)
    missing = [c for c in (key.column, SCORE_COLUMN) if c not in columns]
    if key.kind == "data_field" and key.column not in columns and key.spec in columns:
        frame = frame.rename({key.spec: key.column})
        columns = list(frame.columns)
        missing = [c for c in (key.column, SCORE_COLUMN) if c not in columns]
    if missing:
        raise ScoreTableError(
            f"no {' or '.join(repr(m) for m in missing)} column "
            f"(columns: {', '.join(columns[:12]) or 'none'})",
            file=shown,
        )
    if frame.height == 0:
        raise ScoreTableError("the table has no data rows", file=shown)
    problems: list[str] = []
    n_bad_rows = 0
    rows = frame.with_row_index("_row", offset=1)

    key_col = rows[key.column]
    score_col = rows[SCORE_COLUMN]
    scored_col = rows["scored_at"] if "scored_at" in columns else None
    version_col = rows["model_version"] if "model_version" in columns else None

    # vectorised first pass: which rows need a closer look
    if score_col.dtype == pl.Boolean:
        raise ScoreTableError("column 'score' holds booleans, expected numbers", file=shown)
    if score_col.dtype == pl.String:
        score_num = score_col.str.strip_chars().cast(pl.Float64, strict=False)
    elif score_col.dtype.is_numeric():
        score_num = score_col.cast(pl.Float64)
    elif score_col.dtype == pl.Null:
        score_num = pl.Series([None] * rows.height, dtype=pl.Float64)
    else:
        raise ScoreTableError(f"column 'score' is {score_col.dtype}, expected numbers", file=shown)
    if key.kind == "data_field":
        if key_col.dtype == pl.String:
            key_text = key_col.str.strip_chars()
        elif key_col.dtype.is_numeric() or key_col.dtype == pl.Null:
            key_text = key_col.cast(pl.String)
        else:
            raise ScoreTableError(
                f"column {key.column!r} is {key_col.dtype}, expected text or numbers", file=shown
            )
        key_ok = key_text.is_not_null() & (key_text.str.len_chars() > 0)
    else:
        if key_col.dtype == pl.String:
            key_int = key_col.str.strip_chars().cast(pl.Int64, strict=False)
        elif key_col.dtype.is_integer():
            key_int = key_col.cast(pl.Int64)
        elif key_col.dtype.is_float():
            key_int = pl.Series(
                [
                    int(v) if v is not None and math.isfinite(v) and v == int(v) else None
                    for v in key_col.to_list()
                ],
                dtype=pl.Int64,
            )
        elif key_col.dtype == pl.Null:
            key_int = pl.Series([None] * rows.height, dtype=pl.Int64)
        else:
            raise ScoreTableError(
                f"column {key.column!r} is {key_col.dtype}, expected integers", file=shown
            )
        key_text = key_int.cast(pl.String)
        key_ok = key_int.is_not_null()
    score_ok = score_num.is_not_null() & score_num.is_finite()
    scored_values: list | None = None
    scored_ok = pl.Series([True] * rows.height)
    if scored_col is not None:
        if scored_col.dtype == pl.String:
            texts = scored_col.to_list()
            cache: dict[str, dt.datetime | None] = {}
            scored_values = []
            for text in texts:
                if text is None or text.strip() == "":
                    scored_values.append(None)
                    continue
                if text not in cache:
                    cache[text] = _parse_timestamp(text)
                scored_values.append(cache[text])
            scored_ok = pl.Series(
                [
                    v is not None or t is None or t.strip() == ""
                    for v, t in zip(scored_values, texts, strict=True)
                ]
            )
        elif scored_col.dtype == pl.Datetime or scored_col.dtype == pl.Date:
            series = scored_col.cast(pl.Datetime("us"))
            if getattr(scored_col.dtype, "time_zone", None):
                series = scored_col.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            scored_values = series.to_list()
        elif scored_col.dtype == pl.Null:
            scored_values = [None] * rows.height
        else:
            raise ScoreTableError(
                f"column 'scored_at' is {scored_col.dtype}, expected timestamps", file=shown
            )
    bad_mask = ~(key_ok & score_ok & scored_ok)
    bad_index = bad_mask.arg_true().to_list()
    n_bad_rows = len(bad_index)
    for index in bad_index[:MAX_LISTED]:
        row_no = index + 1
        reasons = []
        if not key_ok[index]:
            raw = key_col[index]
            if raw is None or (isinstance(raw, str) and raw.strip() == ""):
                reasons.append(f"{key.column} is empty")
            else:
                reasons.append(f"{key.column} {_value_text(raw)} is not an integer")
        if not score_ok[index]:
            raw = score_col[index]
            number = score_num[index]
            if raw is None or (isinstance(raw, str) and raw.strip() == ""):
                reasons.append("score is empty")
            elif number is None:
                reasons.append(f"score {_value_text(raw)} is not a number")
            else:
                reasons.append(f"score {_value_text(raw)} is not finite")
        if not scored_ok[index]:
            reasons.append(f"scored_at {_value_text(scored_col[index])} is not a timestamp")
        problems.append(f"row {row_no}: {', '.join(reasons)}")
    if n_bad_rows:
        more = f"; and {n_bad_rows - MAX_LISTED} more" if n_bad_rows > MAX_LISTED else ""
        raise ScoreTableError(
            f"{n_bad_rows} bad row{'s' if n_bad_rows != 1 else ''}, nothing loaded: "
            + "; ".join(problems)
            + more,
            file=shown,
        )
    extra_cols = [c for c in columns if c not in (key.column, SCORE_COLUMN, *OPTIONAL_COLUMNS)]
    if extra_cols:
        extra = rows.select(pl.struct(extra_cols).struct.json_encode().alias("extra"))["extra"]
    else:
        extra = pl.Series([None] * rows.height, dtype=pl.String)
    if version_col is not None:
        version = version_col.cast(pl.String)
        version = pl.Series(
            [None if v is None or v.strip() == "" else v for v in version.to_list()],
            dtype=pl.String,
        )
    else:
        version = pl.Series([None] * rows.height, dtype=pl.String)
    return pl.DataFrame(
        {
            "row_in_file": rows["_row"].cast(pl.Int64),
            "key_value": key_text,
            "score": score_num,
            "model_version": version,
            "scored_at": pl.Series(
                scored_values if scored_values is not None else [None] * rows.height,
                dtype=pl.Datetime("us"),
            ),
            "extra_json": extra,
        }
    )


def ingest_scores(
    con_or_db,
    paths,
    name: str,
    key: str,
) -> LoadResult:
    """Load score table files as the table `name` (replacing it) in one transaction."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise IngestError("no score files given")
    if not name or not _NAME.match(name):
        raise IngestError(
            f"--name {name!r}: use letters, digits, '_', '-' or '.', starting with a letter"
        )
    score_key = parse_key(key)
    files = []
    try:
        for path in paths:
            shown = str(path)
            check_readable(path, shown)
            sha, size = file_sha256(path)
            frame, fmt = read_score_table(path, shown)
            table = validate_table(frame, score_key, shown)
            files.append((path, shown, sha, size, fmt, table))
    finally:
        literal_paths_cleanup()
    load_ids = [
        make_load_id(sha, f"{COMMAND}:{name}:{score_key.spec}:{i}")
        for i, (_, _, sha, _, _, _) in enumerate(files)
    ]
    first = files[0]
    result = LoadResult(
        file_name=", ".join(f[0].name for f in files),
        file_path=str(first[0].resolve()),
        command=COMMAND,
        load_id=load_ids[0],
        file_sha256=first[2],
        file_format=first[4] if len({f[4] for f in files}) == 1 else "score_mixed",
    )
    with connect(con_or_db) as con, transaction(con):
        current = con.execute(
            """
            select list(distinct load_id order by load_id)
            from raw_scores.score_rows
            where score_table_name = ?
            """,
            [name],
        ).fetchone()[0]
        existing_table = con.execute(
            "select key_kind, key_field from raw_scores.score_tables where score_table_name = ?",
            [name],
        ).fetchone()
        if (
            existing_table is not None
            and current is not None
            and sorted(current) == sorted(set(load_ids))
            and existing_table[0] == score_key.kind
            and existing_table[1] == score_key.field
        ):
            result.skipped = True
            result.skipped_reason = (
                f"score table {name!r} already holds exactly these files: nothing to do"
            )
            return result
        now = utc_now()
        replaced = existing_table is not None
        con.execute("delete from raw_scores.score_rows where score_table_name = ?", [name])
        con.execute("delete from raw_scores.score_tables where score_table_name = ?", [name])
        offset = 0
        total = 0
        for (path, shown, sha, size, fmt, table), load_id in zip(files, load_ids, strict=True):
            load_id = fresh_load_id(con, load_id)
            staged = table.with_columns(
                (pl.col("row_in_file") + offset).alias("row_number"),
                pl.lit(load_id).alias("load_id"),
                pl.lit(name).alias("score_table_name"),
            )
            con.register("_concord_scores", staged.to_arrow())
            con.execute(
                """
                insert into raw_scores.score_rows (
                    score_table_name, row_number, load_id, key_value, score, model_version,
                    scored_at, extra_json
                )
                select
                    score_table_name, row_number, load_id, key_value, score, model_version,
                    scored_at, extra_json::json
                from _concord_scores
                order by row_number
                """
            )
            con.unregister("_concord_scores")
            file_result = LoadResult(
                file_name=path.name,
                file_path=str(path.resolve()),
                command=COMMAND,
                load_id=load_id,
                file_sha256=sha,
                file_format=fmt,
                n_records=table.height,
            )
            record_load(con, file_result, file_bytes=size, is_full_snapshot=False, loaded_at=now)
            offset += table.height
            total += table.height
        # rows keyed to an erased task never come back (one-line note on the result)
        total -= drop_erased_score_rows(con, name, score_key.kind, score_key.field, result)
        con.execute(
            """
            insert into raw_scores.score_tables (
                score_table_name, load_id, key_kind, key_field, file_name, n_rows, loaded_at
            ) values (?, ?, ?, ?, ?, ?, ?)
            """,
            [name, load_ids[0], score_key.kind, score_key.field, result.file_name, total, now],
        )
        stats = con.execute(
            """
            select
                count(distinct key_value),
                count(*) filter (where model_version is not null),
                min(score),
                max(score),
            from raw_scores.score_rows
            where score_table_name = ?
            """,
            [name],
        ).fetchone()
        conflicts = con.execute(
            """
            select count(*) from (
                select key_value
                from raw_scores.score_rows
                where score_table_name = ?
                group by key_value, coalesce(model_version, '')
                having count(distinct score) > 1
            )
            """,
            [name],
        ).fetchone()[0]
    result.n_records = total
    skipped = result.counts.get("skipped erased")
    result.counts = {"rows": total, "distinct keys": int(stats[0])}
    if skipped:
        result.counts["skipped erased"] = skipped
    score_range = f"; score range {stats[2]:g} .. {stats[3]:g}" if total else ""
    result.notes.insert(
        0,
        f"table {name!r} keyed by {score_key.spec}{score_range}"
        + ("; replaced the previous version" if replaced else ""),
    )
    if conflicts:
        result.notes.append(
            f"{conflicts} key(s) have several different scores (kept; flagged downstream)"
        )
    return result
