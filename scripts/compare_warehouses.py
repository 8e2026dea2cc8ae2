"""Command-line wrapper: `python scripts/compare_warehouses.py A B ...` runs
concord.devtools.compare_warehouses (also `python -m concord.devtools.compare_warehouses`)."""

import sys

from concord.devtools.compare_warehouses import main

if __name__ == "__main__":
    sys.exit(main())
