"""Argument types checked when the command line is read, before anything is sent.

A receipt or report that cannot be written must stop the command at once: found only after an
erase or a suppression run, it would lose the proof of writes already made. A port out of range
must be refused, not wrapped round by the socket layer onto another port.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def writable_file(text: str) -> Path:
    """An argparse `type`: a file path the command can create or replace (its missing folders
    are created later, so the nearest existing one must be a writable folder)."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder: name a file in it")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise argparse.ArgumentTypeError(f"cannot write {text}: permission denied")
        return path
    folder = path.absolute().parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {text}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"cannot write {text}: {folder} is not writable")
    return path


def new_file(text: str) -> Path:
    """An argparse `type`: like `writable_file`, and not there yet (a report never replaces
    one)."""
    path = writable_file(text)
    if path.exists():
        raise argparse.ArgumentTypeError(f"{text} exists: choose another name")
    return path


def port_number(text: str) -> int:
    """An argparse `type`: a TCP port, 1-65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (1-65535)")
    return port


def receipt_file(text: str) -> Path:
    """An argparse `type`: like `writable_file`, for a JSON Lines receipt; a `.csv` name is
    refused, as the receipt's CSV twin (the same name, `.csv`) would replace it."""
    path = writable_file(text)
    if path.suffix.casefold() == ".csv":
        raise argparse.ArgumentTypeError(
            f"{text}: name the JSON Lines receipt (e.g. {path.with_suffix('.jsonl').name}); "
            "its CSV twin is written beside it"
        )
    return path
