"""audience-tui: email and loyalty audiences in the terminal."""

import sys

__version__ = "0.1.0"

# httpx imports its own command line (click, rich's console and progress, pygments) on every
# `import httpx` whenever click is installed, as uvicorn has it: ~60 ms of each command's ~400
# ms start, for a program never run here (encode/httpx#3547 moves it out of `__init__`). A
# module set to None is one Python's import refuses, and httpx then defines a `main` that says
# the CLI cannot run.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
