#!/usr/bin/env python
"""Benchmark: Concord's ingest + staging (and marts) against a bare DuckDB flatten of the same file.

For each size it generates a synthetic Label Studio sync export (scripts/generate_export.py,
cached in the work dir by generator version + seed + size + options), then runs every step in a
fresh subprocess and measures its wall time and peak resident memory (`os.wait4` rusage of that
child, which covers DuckDB and dbt running inside it):

  baseline          bare DuckDB: `read_json` (declared columns) + unnest to one row per annotation
                    result with the typed columns, into a table of a fresh DuckDB file
  ingest config     `concord ingest config XML --project-id 1 --db DB` on a fresh DuckDB file
  ingest export     `concord ingest export FILE --db DB`
  staging models    `dbt run --select staging` (the project's materializations)
  staging tests     `dbt test --select staging` (its data and unit tests: with the models above,
                    exactly what `dbt build --select staging` runs)
  materialize       `create table ... as select * from staging.stg_label_studio__annotation_results`
                    when that model is a view (its cost would otherwise stay hidden); when staging
                    built it as a table, "count rows" only checks its row count (not in the total)
  concord total     ingest config + export + staging (+ materialize): compare with the baseline
  agreement marts   `dbt build --select +marts.agreement --exclude staging` (sizes >= 100k),
                    without the bootstrap intervals (#14), which are the next step:
  reliability intervals  `dbt build --select int_reliability__bootstrap_replicates+
                    dim_reliability_macros` (B = concord_bootstrap_replicates, default 1000);
                    fct_model_ceiling_verdict is built with the other marts (it reads model_eval)
  other marts       `dbt build --select +marts --exclude staging +marts.agreement` (when present)
  publish           `concord publish`: the analyst snapshot (marts + stg_ models, written in the
                    analysts' storage version and renamed into place, concord/publish.py), timed
                    apart from the refresh it follows (after the marts; after staging when the
                    marts are not built). `concord ingest` publishes too: its step includes it
  report            `concord report` on the built warehouse, with the HTML size (targets: 60 s, 5 MB)
  check, erase, check after erase, verify erasure, check again   what an operator runs on the
                    built warehouse (--no-governance skips them): the first check after an
                    erasure scans every table for it; verify-erasure always scans every table;
                    a check on tables no row of which changed since a clean scan skips them
                    (concord/erasure/proof.py)
  pipeline          export file -> every mart built and tested and `concord check` passed: the sum
                    of ingest config, ingest export (its publish included), staging models and
                    tests, agreement marts, reliability intervals, other marts and check; its ratio
                    column is the end-to-end cost against the bare flatten (#16 item 5)

rows/s is always flattened annotation-result rows per second of that step, so steps compare.

    .venv/bin/python scripts/benchmark.py --sizes 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

from concord.devtools import generate_export

TARGETS = (
    "ingest+staging within 2x of the bare flatten; peak memory under 1 GB at 1M tasks; "
    "concord report within 60 s, HTML under 5 MB"
)


@dataclass
class Step:
    size: int
    step: str
    wall_s: float
    rows: int
    peak_mb: float
    cpu_s: float = 0.0
    load: float = 0.0
    ok: bool = True
    note: str = ""
    slowest: list[tuple[float, str]] | None = None  # dbt steps: the slowest nodes
    dbt_cost: str | None = None  # dbt steps: what the invocation spent outside the nodes' SQL

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.wall_s if self.wall_s > 0 else 0.0


def log(message: str) -> None:
    print(
        f"[bench {dt.datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True
    )


@dataclass
class Measured:
    wall_s: float
    peak_mb: float
    cpu_s: float
    load: float
    rc: int
    tail: str


def summed(parts: list[Measured]) -> Measured:
    """Steps run one after another as one: wall and CPU add up, peak memory and load are the
    highest of them."""
    return Measured(
        sum(p.wall_s for p in parts),
        max(p.peak_mb for p in parts),
        sum(p.cpu_s for p in parts),
        max(p.load for p in parts),
        0,
        "",
    )


def measure(
    args: list[str], env: dict[str, str] | None = None, log_file: Path | None = None
) -> Measured:
    """Run `args` as a child; wall time, peak RSS (MB) and CPU time of it and its children.

    `load` is the 1-minute load average when the step started: on a shared machine a wall time
    taken at load 6 on 2 cores is not comparable with one taken at load 1 (CPU time is).
    """
    load = os.getloadavg()[0]
    with open(log_file or os.devnull, "w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=str(REPO))
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    tail = ""
    if proc.returncode != 0 and log_file:
        text = re.sub(r"\x1b\[[0-9;]*m", "", log_file.read_text(errors="replace"))
        tail = " | ".join(line.strip() for line in text.strip().splitlines()[-3:])
    # ru_maxrss is KiB on Linux; for a reaped child it is the max over it and its descendants
    return Measured(
        wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, load, proc.returncode, tail
    )


def duckdb_settings_sql(threads: int | None, memory_limit: str | None) -> str:
    parts = []
    if threads:
        parts.append(f"set threads = {int(threads)};")
    if memory_limit:
        parts.append(f"set memory_limit = '{memory_limit}';")
    return " ".join(parts)


BASELINE_SQL = """
create table flat_results as
with

tasks as (
    select id as task_id, project as project_id, annotations
    from read_json('{path}', format = 'array', columns = {{
        id: 'bigint',
        project: 'bigint',
        annotations: 'struct(id bigint, was_cancelled boolean, result struct(id varchar,
            type varchar, from_name varchar, to_name varchar, origin varchar, value json)[])[]'
    }})
),

annotations as (
    select task_id, project_id, unnest(annotations) as annotation from tasks
),

results as (
    select
        task_id,
        project_id,
        annotation.id as annotation_id,
        unnest(annotation.result) as result,
        unnest(range(len(annotation.result))) as result_index,
    from annotations
    where not annotation.was_cancelled
)

select
    annotation_id::varchar || '-' || result_index::varchar as annotation_result_id,
    annotation_id,
    task_id,
    project_id,
    result_index,
    result.id as region_id,
    result.from_name as control_name,
    result.to_name as to_name,
    result.type as result_type,
    result.origin as origin,
    result.value as value_json,
    (result.value -> '$.choices')::varchar[] as choices,
    (result.value ->> '$.rating')::double as rating,
    (result.value ->> '$.number')::double as number_value,
    case when json_type(result.value, '$.text') = 'ARRAY'
        then (result.value -> '$.text')::varchar[] end as texts,
    (result.value ->> '$.start')::bigint as span_start,
    (result.value ->> '$.end')::bigint as span_end,
    (result.value -> '$.labels')::varchar[] as region_labels,
from results
"""


def python_duckdb_script(db: Path, sql: str, settings: str, result_file: Path) -> list[str]:
    """A child `python -c` that runs `sql` on `db` and writes the row count to `result_file`."""
    code = textwrap.dedent(f"""
        import duckdb, json
        con = duckdb.connect({str(db)!r})
        con.execute("set enable_progress_bar = false")
        con.execute({settings!r} or "select 1")
        con.execute({sql!r})
        n = con.execute("select count(*) from " + {_created_table(sql)!r}).fetchone()[0]
        open({str(result_file)!r}, "w").write(json.dumps({{"rows": n}}))
        con.close()
    """)
    return [sys.executable, "-c", code]


def _created_table(sql: str) -> str:
    words = sql.split()
    kind = "table" if "table" in words else "view"
    return words[words.index(kind) + 1]


def relation_type(db: Path, schema: str, name: str) -> str | None:
    """'BASE TABLE' or 'VIEW' (None when absent), read in a child so this process never holds
    the DuckDB file open."""
    code = textwrap.dedent(f"""
        import duckdb
        con = duckdb.connect({str(db)!r}, read_only=True)
        row = con.execute(
            "select table_type from information_schema.tables "
            "where table_schema = ? and table_name = ?", [{schema!r}, {name!r}]
        ).fetchone()
        print(row[0] if row else "")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip() or None


def ensure_export(
    work: Path, size: int, seed: int, ner: bool, changed_share: float = 0.0
) -> tuple[Path, dict]:
    name = f"export_g{generate_export.GENERATOR_VERSION}_s{seed}_n{size}{'_ner' if ner else ''}"
    if changed_share:
        name += f"_changed{changed_share:g}"
    path = work / "exports" / f"{name}.json"
    counts_path = path.with_suffix(".counts.json")
    if path.exists() and counts_path.exists() and path.with_suffix(".xml").exists():
        counts = json.loads(counts_path.read_text())
        log(f"{size:>9,} tasks: cached {path.name} ({path.stat().st_size / 1e6:,.0f} MB)")
        return path, counts
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.part")
    log(f"{size:>9,} tasks: generating {path.name} ...")
    args = [
        sys.executable,
        str(REPO / "scripts" / "generate_export.py"),
        "--tasks",
        str(size),
        "--seed",
        str(seed),
        "--out",
        str(tmp),
        "--counts-out",
        str(counts_path),
        "--config-out",
        str(path.with_suffix(".xml")),
    ]
    if ner:
        args.append("--ner")
    if changed_share:
        args += ["--changed-share", str(changed_share)]
    m = measure(args)
    if m.rc != 0:
        raise SystemExit(f"benchmark: error: generating {size} tasks failed (exit {m.rc})")
    tmp.rename(path)
    log(
        f"{size:>9,} tasks: generated in {m.wall_s:.1f} s, peak {m.peak_mb:.0f} MB, "
        f"{path.stat().st_size / 1e6:,.0f} MB"
    )
    return path, json.loads(counts_path.read_text())


def dbt_args(args: list[str], target: Path, profiles_dir: Path = REPO) -> list[str]:
    return [
        str(VENV_BIN / "dbt"),
        *args,
        "--project-dir",
        str(REPO),
        "--profiles-dir",
        str(profiles_dir),
        "--target-path",
        str(target),
    ]


def bench_profiles_dir(run_dir: Path, threads: int | None, memory_limit: str | None) -> Path:
    """The repo's profiles.yml, plus DuckDB `settings` when --threads / --memory-limit are given
    (dbt-duckdb applies them to every connection); the repo's own file is never modified."""
    if not threads and not memory_limit:
        return REPO
    import yaml

    profiles = yaml.safe_load((REPO / "profiles.yml").read_text())
    for output in profiles["concord"]["outputs"].values():
        settings = output.setdefault("settings", {})
        if threads:
            settings["threads"] = int(threads)
        if memory_limit:
            settings["memory_limit"] = memory_limit
    (run_dir / "profiles.yml").write_text(yaml.safe_dump(profiles, sort_keys=False))
    return run_dir


def has_models(folder: str) -> bool:
    path = REPO / "models" / folder
    return path.is_dir() and any(path.rglob("*.sql"))


def run_size(size: int, opts: argparse.Namespace, work: Path) -> list[Step]:
    export, counts = ensure_export(work, size, opts.seed, opts.ner)
    n_results = counts["staging_annotation_results"]
    run_dir = work / f"run_n{size}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    settings = duckdb_settings_sql(opts.threads, opts.memory_limit)
    env = dict(os.environ)
    db = run_dir / "concord.duckdb"
    env.update(
        CONCORD_DB=str(db),
        DBT_TARGET_PATH=str(run_dir / "target"),
        DBT_LOG_PATH=str(run_dir / "logs"),
        PYTHONUNBUFFERED="1",
    )
    profiles_dir = bench_profiles_dir(run_dir, opts.threads, opts.memory_limit)
    steps: list[Step] = []
    measured: dict[str, Measured] = {}  # each step's measurement, for the pipeline line

    def record(step: str, m: Measured, note: str = "", rows: int = n_results) -> bool:
        ok = m.rc == 0
        measured[step] = m
        if not ok:
            note = ((note + "; ") if note else "") + f"FAILED (exit {m.rc}): {m.tail}"[:300]
        slowest = cost = None
        run_results = run_dir / "target" / "run_results.json"
        if (note.startswith("dbt ") or step == "other marts") and run_results.exists():
            kept = run_dir / f"run_results.{step.replace(' ', '_')}.json"
            run_results.replace(kept)
            results = json.loads(kept.read_text())
            nodes = results["results"]
            slowest = sorted(((n["execution_time"], n["unique_id"]) for n in nodes), reverse=True)[
                :5
            ]
            cost = dbt_cost(results, m.wall_s)
        steps.append(
            Step(size, step, m.wall_s, rows, m.peak_mb, m.cpu_s, m.load, ok, note, slowest, cost)
        )
        log(
            f"{size:>9,} tasks: {step:<16} {m.wall_s:8.2f} s  cpu {m.cpu_s:8.2f} s  "
            f"peak {m.peak_mb:7.0f} MB  load {m.load:.1f}{'' if ok else '  ' + note}"
        )
        return ok

    def publish_step(after: str) -> None:
        snapshot = run_dir / "concord.analyst.duckdb"
        m = measure(
            [str(VENV_BIN / "concord"), "publish", "--db", str(db)], env, run_dir / "publish.log"
        )
        size_mb = snapshot.stat().st_size / 1e6 if snapshot.exists() else 0.0
        warehouse_mb = db.stat().st_size / 1e6 if db.exists() else 0.0
        record(
            "publish",
            m,
            f"concord publish after {after}: analyst snapshot {size_mb:.0f} MB"
            f" (warehouse {warehouse_mb:.0f} MB)",
        )

    def count_note(result_file: Path, m: Measured) -> str:
        if m.rc != 0:
            return ""
        got = json.loads(result_file.read_text())["rows"]
        return f"row count {got} != generator's {n_results}" if got != n_results else ""

    # (a) baseline: bare read_json + unnest, same file, fresh DuckDB file
    base_db = run_dir / "baseline.duckdb"
    result_file = run_dir / "baseline.rows.json"
    sql = BASELINE_SQL.format(path=str(export).replace("'", "''"))
    m = measure(
        python_duckdb_script(base_db, sql, settings, result_file), env, run_dir / "baseline.log"
    )
    record("baseline", m, count_note(result_file, m))
    base_db.unlink(missing_ok=True)

    # (b) concord: ingest, staging build, full materialization of the flattened results
    parts: list[Measured] = []
    tests_part: Measured | None = None
    config = export.with_suffix(".xml")
    m = measure(
        [str(VENV_BIN / "concord"), "ingest", "config", str(config), "--project-id", "1"]
        + ["--db", str(db)],
        env,
        run_dir / "ingest_config.log",
    )
    ok = record("ingest config", m, "concord ingest config (the generated project's XML)")
    parts.append(m)
    if ok:
        m = measure(
            [str(VENV_BIN / "concord"), "ingest", "export", str(export), "--db", str(db)],
            env,
            run_dir / "ingest.log",
        )
        ok = record("ingest export", m, "concord ingest export")
        parts.append(m)
    # the staging build as its two halves (what `dbt build --select staging` runs), so the table
    # shows what flattening costs apart from the ~100 data tests that guard it
    if ok:
        m = measure(
            dbt_args(["run", "--select", "staging"], run_dir / "target", profiles_dir),
            env,
            run_dir / "staging_models.log",
        )
        ok = record("staging models", m, "dbt run --select staging")
        parts.append(m)
    if ok:
        m = measure(
            dbt_args(["test", "--select", "staging"], run_dir / "target", profiles_dir),
            env,
            run_dir / "staging_tests.log",
        )
        ok = record("staging tests", m, "dbt test --select staging (data and unit tests)")
        parts.append(m)
        tests_part = m
    if ok and relation_type(db, "staging", "stg_label_studio__annotation_results") == "VIEW":
        result_file = run_dir / "materialize.rows.json"
        sql = (
            "create schema if not exists bench_scratch; "
            "create table bench_scratch.flat_results as "
            "select * from staging.stg_label_studio__annotation_results"
        )
        m = measure(
            python_duckdb_script(db, sql, settings, result_file), env, run_dir / "materialize.log"
        )
        ok = record("materialize", m, count_note(result_file, m))
        parts.append(m)
    elif ok:
        # staging already built the flattened results as a table: check its rows, do not copy it
        result_file = run_dir / "materialize.rows.json"
        sql = (
            "create schema if not exists bench_scratch; "
            "create view bench_scratch.flat_results as "
            "select * from staging.stg_label_studio__annotation_results"
        )
        m = measure(
            python_duckdb_script(db, sql, settings, result_file), env, run_dir / "materialize.log"
        )
        note = count_note(result_file, m) or "a table already: rows counted, not in the total"
        ok = record("count rows", m, note)
        if ok:
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    (
                        f"import duckdb; duckdb.connect({str(db)!r}).execute("
                        "'drop schema bench_scratch cascade')"
                    ),
                ],
                check=True,
            )
            total = summed(parts)
            record(
                "concord total",
                total,
                "ingest config + export + staging models + tests (+ materialize)",
            )
            without_tests = [p for p in parts if p is not tests_part]
            record(
                "without tests",
                summed(without_tests),
                "the same without the staging tests",
            )

    if ok and (size < opts.marts_min_size or opts.marts == "none"):
        publish_step("staging")
    # (c) agreement marts, (d) other marts
    if ok and size >= opts.marts_min_size:
        if has_models("marts/agreement") and opts.marts != "none":
            # #14: the bootstrap intervals are their own step, after the agreement marts
            intervals = ["int_reliability__bootstrap_replicates+", "dim_reliability_macros"]
            m = measure(
                dbt_args(
                    ["build", "--select", "+marts.agreement", "--exclude", "staging", *intervals],
                    run_dir / "target",
                    profiles_dir,
                ),
                env,
                run_dir / "agreement.log",
            )
            agreement_ok = record(
                "agreement marts",
                m,
                "dbt build --select +marts.agreement --exclude staging + intervals",
            )
            if agreement_ok and (REPO / "models" / "intermediate" / "reliability").is_dir():
                m = measure(
                    dbt_args(["build", "--select", *intervals], run_dir / "target", profiles_dir),
                    env,
                    run_dir / "intervals.log",
                )
                record(
                    "reliability intervals",
                    m,
                    "dbt build --select int_reliability__bootstrap_replicates+ dim_reliability_macros (B = 1000)",
                )
        marts_dir = REPO / "models" / "marts"
        others = (
            sorted(
                p.name
                for p in marts_dir.iterdir()
                if p.is_dir() and p.name != "agreement" and has_models(f"marts/{p.name}")
            )
            if marts_dir.is_dir()
            else []
        )
        if others and opts.marts == "all":
            exclude = ["staging"] + (["+marts.agreement"] if has_models("marts/agreement") else [])
            m = measure(
                dbt_args(
                    ["build", "--select", *[f"+marts.{o}" for o in others], "--exclude", *exclude],
                    run_dir / "target",
                    profiles_dir,
                ),
                env,
                run_dir / "other_marts.log",
            )
            record("other marts", m, "dbt build: " + ", ".join(others))
        if opts.marts != "none":
            publish_step("the marts")
        # (e) the offline HTML report of the built warehouse (#15: within 60 s, HTML < 5 MB)
        if opts.marts == "all" and has_models("marts/reporting"):
            report = run_dir / "report.html"
            m = measure(
                [str(VENV_BIN / "concord"), "report", "--db", str(db), "--out", str(report)],
                env,
                run_dir / "report.log",
            )
            size_mb = report.stat().st_size / 1e6 if report.exists() else 0.0
            note = f"concord report: HTML {size_mb:.2f} MB"
            if m.rc == 0 and (size_mb >= 5 or m.wall_s > 60):
                note += "; over the target (60 s, 5 MB)"
            record("report", m, note)
        # (f) what an operator runs on the built warehouse: the data-quality expectations, and a
        # GDPR erasure of two tasks (the generator numbers tasks 1..size) with its proof
        if opts.marts == "all" and opts.governance:
            concord = [str(VENV_BIN / "concord")]
            m = measure(concord + ["check", "--db", str(db)], env, run_dir / "check.log")
            record("check", m, "concord check (every expectation, every layer)")
            pipeline_step(measured, record)
        if opts.marts == "all" and opts.refresh_share > 0:
            refresh_steps(size, opts, work, db, env, run_dir, record)
        if opts.marts == "all" and opts.governance:
            concord = [str(VENV_BIN / "concord")]
            erased = [str(size // 2), str(size)]
            m = measure(
                concord
                + ["erase", "--task-id", ",".join(erased), "--reason", "benchmark"]
                + ["--db", str(db)],
                env,
                run_dir / "erase.log",
            )
            record(
                "erase",
                m,
                f"concord erase --task-id {','.join(erased)} (compaction and republish included)",
            )
            # issue #12: `concord check` must stay fast once the warehouse holds an erasure. The
            # first check after it scans every table for the new erasure's ids (and records
            # proofs, concord/erasure/proof.py); a check on unchanged tables reads the proofs
            m = measure(concord + ["check", "--db", str(db)], env, run_dir / "check_after.log")
            record("check after erase", m, "concord check, first after the erasure (every table)")
            m = measure(concord + ["verify-erasure", "--db", str(db)], env, run_dir / "verify.log")
            note = "concord verify-erasure (every table, view and extract)"
            flagged = re.search(r"(\d+) location\(s\) still hold", m.tail)
            if m.rc == 1 and flagged:
                # the scan ran to the end and reported: the generator's texts are 1-3 phrases from
                # a small pool, so other tasks hold the erased tasks' texts too (verify.log)
                note += f"; {flagged.group(1)} location(s) flagged: other tasks hold the same text"
                m = replace(m, rc=0)
            record("verify erasure", m, note)
            m = measure(concord + ["check", "--db", str(db)], env, run_dir / "check_again.log")
            record("check again", m, "concord check, tables unchanged since verify-erasure")
    if not opts.keep_db:
        for path in run_dir.glob("concord*.duckdb*"):  # the analyst snapshot too
            path.unlink()
    return steps


def refresh_steps(size, opts, work: Path, db: Path, env: dict, run_dir: Path, record) -> None:
    """Issue #16 item 4: a daily refresh against a full build, in the same run. `concord build` on
    the built warehouse (its first `concord build`: a full refresh, the dbt steps above recorded
    no project fingerprint), then a re-export of the same tasks with `--refresh-share` of them
    edited (the generator's --changed-share): its ingest and an incremental `concord build`."""
    concord = [str(VENV_BIN / "concord")]
    full = measure(concord + ["build", "--db", str(db)], env, run_dir / "full_build.log")
    if not record(
        "full build",
        full,
        "concord build: a full refresh (no project fingerprint recorded yet); dbt build and publish",
    ):
        return
    export, counts = ensure_export(work, size, opts.seed, opts.ner, opts.refresh_share)
    ingest = measure(
        concord + ["ingest", "export", str(export), "--db", str(db)],
        env,
        run_dir / "refresh_ingest.log",
    )
    if not record(
        "refresh ingest",
        ingest,
        f"concord ingest export: the re-export, {counts['changed_tasks']} tasks edited",
    ):
        return
    build = measure(concord + ["build", "--db", str(db)], env, run_dir / "refresh_build.log")
    engine = (run_dir / "refresh_build.log").read_text(encoding="utf-8", errors="replace")
    line = next((x for x in engine.splitlines() if x.startswith("agreement engine:")), "")
    if not record("refresh build", build, f"concord build: {line}"):
        return
    total = summed([ingest, build])
    record(
        "refresh",
        total,
        f"refresh ingest + build: {total.wall_s / full.wall_s:.0%} of the full build's wall time"
        " (target: 10%)",
    )


# issue #16 item 5: export file -> every mart built and checked, one line per size; publish and
# the report are timed apart (they follow a refresh, they are not part of it)
PIPELINE_STEPS = (
    "ingest config",
    "ingest export",
    "staging models",
    "staging tests",
    "agreement marts",
    "reliability intervals",
    "other marts",
    "check",
)


def pipeline_step(measured: dict[str, Measured], record) -> None:
    """Record "pipeline": the sum of PIPELINE_STEPS (all of them ran and passed, else nothing),
    so its ratio column is the end-to-end cost against the bare flatten of the same file."""
    parts = [measured.get(name) for name in PIPELINE_STEPS]
    if any(p is None or p.rc != 0 for p in parts):
        return
    total = summed(parts)
    record(
        "pipeline",
        total,
        "export file -> all marts built and tested, concord check: " + " + ".join(PIPELINE_STEPS),
    )


def render(steps: list[Step], header: str) -> str:
    baseline = {s.size: s for s in steps if s.step == "baseline" and s.ok}
    lines = [
        header,
        "",
        (
            "| size (tasks) | step | wall s | rows/s | peak MB | ratio to baseline | cpu s "
            "| cpu ratio | load | note |"
        ),
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for s in steps:
        base = baseline.get(s.size)
        ratio = f"{s.wall_s / base.wall_s:.2f}x" if base and base.wall_s > 0 else "-"
        cpu_ratio = f"{s.cpu_s / base.cpu_s:.2f}x" if base and base.cpu_s > 0 else "-"
        lines.append(
            f"| {s.size:,} | {s.step} | {s.wall_s:.2f} | {s.rows_per_s:,.0f} | "
            f"{s.peak_mb:,.0f} | {ratio} | {s.cpu_s:.1f} | {cpu_ratio} | {s.load:.1f} | {s.note} |"
        )
    slow = [s for s in steps if s.slowest]
    if slow:
        lines += ["", "Slowest dbt nodes per step (execution time, s):", ""]
        for s in slow:
            nodes = ", ".join(f"{uid.split('.')[2]} {t:.1f}" for t, uid in s.slowest)
            lines.append(f"- {s.size:,} {s.step}: {nodes}")
    costs = [s for s in steps if s.dbt_cost]
    if costs:
        lines += ["", "dbt's cost per invocation (issue #16 item 4):", ""]
        lines += [f"- {s.size:,} {s.step}: {s.dbt_cost}" for s in costs]
    return "\n".join(lines) + "\n"


def dbt_cost(run_results: dict, wall_s: float) -> str:
    """Where one dbt invocation's wall time went, from its run_results.json: the part outside
    the run of the nodes (process start-up, imports, parse, graph: wall minus dbt's own elapsed
    time), then dbt's compile and execute phases summed over the nodes. The execute phase holds
    the SQL and dbt's per-node materialization work; on small warehouses the latter dominates."""
    phases = {"compile": 0.0, "execute": 0.0}
    for node in run_results["results"]:
        for timing in node.get("timing") or []:
            name, started, ended = (timing.get(k) for k in ("name", "started_at", "completed_at"))
            if name in phases and started and ended:  # ISO 8601 with Z (Python 3.11 reads it)
                elapsed = dt.datetime.fromisoformat(ended) - dt.datetime.fromisoformat(started)
                phases[name] += elapsed.total_seconds()
    outside = wall_s - float(run_results.get("elapsed_time") or 0.0)
    return (
        f"start-up + parse {outside:.1f} s, compile {phases['compile']:.1f} s, "
        f"execute {phases['execute']:.1f} s over {len(run_results['results'])} nodes"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--ner", action="store_true", help="also generate NER spans")
    parser.add_argument(
        "--work-dir",
        default=os.environ.get("CONCORD_BENCH_DIR", "/tmp/concord-bench"),
        help="exports cache, DuckDB files, logs (default /tmp/concord-bench)",
    )
    parser.add_argument("--out", help="results markdown file (default WORK_DIR/results.md)")
    parser.add_argument("--threads", type=int, help="DuckDB threads (baseline, dbt, materialize)")
    parser.add_argument(
        "--memory-limit", help="DuckDB memory_limit, e.g. 700MB (baseline, dbt, materialize)"
    )
    parser.add_argument(
        "--marts-min-size",
        type=int,
        default=100_000,
        help="build the marts only at sizes >= this (default 100000)",
    )
    parser.add_argument(
        "--marts",
        choices=("all", "agreement", "none"),
        default="all",
        help="which marts to build after staging (default all)",
    )
    parser.add_argument(
        "--no-governance",
        dest="governance",
        action="store_false",
        help="skip `concord check`, `erase` and `verify-erasure` after the marts (run with --marts all)",
    )
    parser.add_argument(
        "--refresh-share",
        type=float,
        default=0.01,
        help="after the marts: a full `concord build`, then a re-export with this share of the"
        " tasks edited, ingested and built incrementally (0: skip; default 0.01)",
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the Concord DuckDB files")
    opts = parser.parse_args(argv)
    work = Path(opts.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)

    import duckdb  # only for its version in the header

    header = textwrap.dedent(f"""\
        ## Concord benchmark, {dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")}

        Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, duckdb {duckdb.__version__},
        DuckDB settings for baseline, dbt and materialize (not `concord ingest`): threads={opts.threads or "default"},
        memory_limit={opts.memory_limit or "default"}; dbt uses profiles.yml;
        `concord ingest` memory limit: CONCORD_MEMORY_LIMIT={os.environ.get("CONCORD_MEMORY_LIMIT", "unset (its default)")}. Generator v{generate_export.GENERATOR_VERSION},
        seed {opts.seed}, sync export{" with NER spans" if opts.ner else ""}. Targets: {TARGETS}.
        rows/s = flattened annotation-result rows per second of the step; ratio = wall s / baseline
        wall s at that size; cpu s = user + system CPU of the step's processes (all threads) and
        cpu ratio = cpu s / baseline cpu s; load = 1-minute load average when the step started
        (on a shared machine wall times at high load are inflated: compare cpu s then).""")
    steps: list[Step] = []
    out = Path(opts.out) if opts.out else work / "results.md"
    for size in opts.sizes:
        steps += run_size(size, opts, work)
        out.write_text(render(steps, header))  # partial results survive a crash
    table = render(steps, header)
    print(table)
    out.write_text(table)
    log(f"results written to {out}")
    return 0 if all(s.ok for s in steps) else 1


if __name__ == "__main__":
    sys.exit(main())
