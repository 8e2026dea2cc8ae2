"""Build hook: a wheel carries the dbt project, so an installed `concord build` finds its models.

The dbt project stays at the top of the repository (where dbt users and `dbt build` from a
checkout expect it); building a wheel copies it into the package as `concord/dbt_project/`
(concord/paths.py picks the checkout's project when there is one, else this copy). Everything
else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# what dbt reads: dbt_project.yml's model / macro / seed / test paths, the profile, and the
# analyses catalogue when there is one
DBT_PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
DBT_PROJECT_DIRS = ("models", "macros", "seeds", "tests/dbt", "analyses")


class BuildPyWithDbtProject(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's project directly
        target = Path(self.build_lib) / "concord" / "dbt_project"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for name in DBT_PROJECT_FILES:
            shutil.copy2(HERE / name, target / name)
        for name in DBT_PROJECT_DIRS:
            if (HERE / name).is_dir():
                shutil.copytree(HERE / name, target / name)


setup(cmdclass={"build_py": BuildPyWithDbtProject})
