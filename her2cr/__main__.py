"""`python -m her2cr`: the command line (see cli.py)."""

import sys

from her2cr.cli import main

sys.exit(main())
