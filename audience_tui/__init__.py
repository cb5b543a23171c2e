"""audience-tui: email and loyalty audiences in the terminal."""

__version__ = "0.1.0"
