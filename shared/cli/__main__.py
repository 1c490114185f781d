"""`python -m shared.cli`: the same as the `gx` command."""

import sys

from shared.cli import main

sys.exit(main())
