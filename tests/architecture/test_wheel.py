"""Installed from a wheel, outside the checkout, Concord works: `pip wheel --no-deps .` carries
every subpackage, the demo data and the dbt project, and `concord demo` runs from it.

The fast test reads the wheel's file list; the slow one installs the wheel into a fresh venv
(dependencies borrowed from this environment's site-packages, so nothing is downloaded) and runs
`concord demo` in an empty directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build_dir = REPO / "build"
    had_build_dir = build_dir.exists()
    try:
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
            check=True,
            capture_output=True,
            timeout=300,
        )
    finally:
        # pip builds in the source tree: leave no build/ behind in the checkout
        if not had_build_dir:
            shutil.rmtree(build_dir, ignore_errors=True)
    (found,) = out.glob("concord-*.whl")
    return found


def _source_files(folder: str, suffixes: tuple[str, ...]) -> set[str]:
    return {
        p.relative_to(REPO).as_posix()
        for p in (REPO / folder).rglob("*")
        if p.is_file() and p.suffix in suffixes and "__pycache__" not in p.parts
    }


def test_the_wheel_holds_every_module_the_demo_data_and_the_dbt_project(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = _source_files("concord", (".py",)) | _source_files("ingest", (".py",))
    assert modules - names == set()  # every subpackage: concord.commands, concord.checks, ...
    assert "concord/commands/build_cmds.py" in names
    demo = {
        "concord/demo_data/label_studio/byos_text/export_snapshot.json",
        "concord/demo_data/label_studio/byos_text/labeling_config.xml",
        "concord/demo_data/label_studio/ner_spans/export_snapshot.json",
        "concord/demo_data/label_studio/ner_spans/labeling_config.xml",
        "concord/demo_data/scores/byos_text_scores.csv",
        "concord/demo_data/scores/byos_text_prediction_calibrated.parquet",
    }
    assert demo - names == set()
    dbt = {"concord/dbt_project/" + p for p in ("dbt_project.yml", "profiles.yml")}
    for folder in ("models", "macros", "seeds", "tests/dbt"):
        dbt |= {
            "concord/dbt_project/" + p
            for p in _source_files(folder, (".sql", ".yml", ".csv", ".md"))
        }
    assert dbt - names == set()
    assert not [n for n in names if n.startswith(("tests/", "scripts/"))]


@pytest.mark.slow
def test_concord_demo_runs_from_the_installed_wheel(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    site = Path(
        subprocess.check_output(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            text=True,
        ).strip()
    )
    # the dependencies (dbt, duckdb, GX, ...) from this environment, after the venv's own
    # packages: a plain path entry, so this environment's editable `concord` is not seen
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = tmp_path / "empty"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONCORD_DB", "DBT_"))}
    result = subprocess.run(
        [str(venv / "bin" / "concord"), "demo", "--db", str(work / "demo.duckdb")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    located = subprocess.check_output(
        [str(venv / "bin" / "python"), "-c", "import concord.paths as p; print(p.DBT_PROJECT_DIR)"],
        text=True,
        cwd=work,
    ).strip()
    assert located == str(site / "concord" / "dbt_project")  # not the checkout
    assert "tasks:               54" in result.stdout
    # dbt artifacts beside the warehouse, one folder per warehouse file
    assert (work / ".concord-dbt" / "demo.duckdb" / "target").is_dir()
