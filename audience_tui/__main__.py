"""`python -m audience_tui` runs the same entry point as `audience-tui`."""

import sys

from .cli import main

sys.exit(main())
