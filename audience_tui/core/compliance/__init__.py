"""Compliance jobs across every account at once: suppression lists, erasure, subject access and
consent drift. No Textual here: the CLI (commands/compliance.py) and the TUI's Compliance screen
both drive these modules and show their progress."""
