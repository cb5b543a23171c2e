"""The sandbox's store: SQL functions a platform adds are on every connection, registered once
per connection (registering one makes SQLite prepare the connection's statements again)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from audience_tui.sandbox.store import Store


def twice(value: int) -> int:
    return value * 2


def test_an_added_function_is_on_every_connection(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "sandbox.sqlite", big_lists=False)
    store.connect()  # a connection from before the function was added
    store.add_function("twice", 1, twice)
    assert store.connect().execute("SELECT twice(21)").fetchone()[0] == 42
    found: list[int] = []
    thread = threading.Thread(
        target=lambda: found.append(store.connect().execute("SELECT twice(2)").fetchone()[0])
    )
    thread.start()
    thread.join()
    assert found == [4]


def test_a_statement_is_prepared_once_however_often_the_connection_is_asked_for(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "sandbox.sqlite", big_lists=False)
    store.add_function("twice", 1, twice)
    prepared: list[int] = []  # the authorizer is asked while SQLite prepares a statement

    def authorize(action: int, *_: object) -> int:
        prepared.append(action)
        return sqlite3.SQLITE_OK

    store.connect().set_authorizer(authorize)
    for n in range(3):
        assert store.connect().execute("SELECT twice(?)", (n,)).fetchone()[0] == 2 * n
    assert prepared.count(sqlite3.SQLITE_SELECT) == 1
