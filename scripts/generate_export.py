"""Command-line wrapper: `python scripts/generate_export.py ...` runs
concord.devtools.generate_export (also `python -m concord.devtools.generate_export`)."""

import sys

from concord.devtools.generate_export import main

if __name__ == "__main__":
    sys.exit(main())
