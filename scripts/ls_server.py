"""Command-line wrapper: `python scripts/ls_server.py start|stop ...` runs
concord.devtools.ls_server (also `python -m concord.devtools.ls_server`). `start` wipes its
--data-dir first: give it a directory of its own."""

import sys

from concord.devtools.ls_server import main

if __name__ == "__main__":
    sys.exit(main())
