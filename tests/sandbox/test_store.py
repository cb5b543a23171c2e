"""The sandbox's store: SQL functions a platform adds are on every connection, registered once
per connection (registering one makes SQLite prepare the connection's statements again)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from audience_tui.sandbox import store as store_module
from audience_tui.sandbox.store import BuildProgress, Store


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


async def test_reads_in_turn_run_one_at_a_time_in_the_order_asked(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "sandbox.sqlite", big_lists=False)
    served: list[tuple[int, str]] = []

    def read(conn: sqlite3.Connection, n: int) -> int:
        if n == 0:
            time.sleep(0.05)  # the first is the slowest: the others still wait their turn
        served.append((n, threading.current_thread().name))
        return conn.execute("SELECT ?", (n,)).fetchone()[0]

    assert await asyncio.gather(*(store.run_in_turn(read, n) for n in range(4))) == [0, 1, 2, 3]
    assert [n for n, _ in served] == [0, 1, 2, 3]
    assert len({thread for _, thread in served}) == 1


async def test_closing_the_store_ends_its_serving_thread(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "sandbox.sqlite", big_lists=False)
    serving: list[threading.Thread] = []

    def read(conn: sqlite3.Connection) -> int:
        serving.append(threading.current_thread())
        return conn.execute("SELECT 1").fetchone()[0]

    assert await store.run_in_turn(read) == 1
    store.close()
    serving[0].join(timeout=5)
    assert not serving[0].is_alive()
    assert await store.run_in_turn(read) == 1  # a closed store serves again on a new thread
    store.close()


def test_a_big_build_commits_every_commit_rows_and_resumes_after_the_last_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Steps of 3 rows committed 6 at a time (COMMIT_ROWS): each commit rewrites the random-key
    indexes' pages, so fewer commits write less. A failing step rolls back to the last commit,
    and the build started again goes on from there. A finished build leaves no log behind."""
    monkeypatch.setattr(store_module, "COMMIT_ROWS", 6)
    store = Store.open(tmp_path / "sandbox.sqlite", big_lists=False)
    store.write(lambda conn: conn.execute("CREATE TABLE rows (n INTEGER PRIMARY KEY)"))
    reader = sqlite3.connect(store.path)
    seen: list[tuple[int, int, int]] = []  # (step start, progress, rows a reader sees)
    commits: list[int] = []
    progress = BuildProgress("rows", 14)
    fail_at = 9

    def insert(conn: sqlite3.Connection, start: int, stop: int) -> None:
        if start == fail_at:
            raise RuntimeError("stopped")
        conn.executemany("INSERT INTO rows VALUES (?)", [(n,) for n in range(start, stop)])
        visible = reader.execute("SELECT count(*) FROM rows").fetchone()[0]
        seen.append((start, progress.done, visible))

    def finish(conn: sqlite3.Connection) -> None:
        store.mark_seeded(conn, "rows")

    with pytest.raises(RuntimeError):
        store.write_rows(progress, 3, insert, finish, commits.append)
    assert commits == [6] and progress.done == 6 and not store.seeded("rows")
    assert seen == [(0, 0, 0), (3, 0, 0), (6, 6, 6)]  # progress moves with what readers see
    fail_at = -1
    store.write_rows(progress, 3, insert, finish, commits.append)
    assert commits == [6, 12, 14] and progress.done == 14 and store.seeded("rows")
    rows = [r[0] for r in store.connect().execute("SELECT n FROM rows ORDER BY n")]
    assert rows == list(range(14))
    assert store.path.with_name(store.path.name + "-wal").stat().st_size == 0  # log cut back
    reader.close()
    store.close()
