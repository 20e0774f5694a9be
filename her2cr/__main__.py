import sys

from her2cr.cli import main

sys.exit(main())
