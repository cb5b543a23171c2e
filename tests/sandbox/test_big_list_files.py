"""The two default big lists build side by side: Placewise's tables are in a database file of
their own (SQLite has one writer per file), each file's build takes only its own writer, a
write that waits for a file gets in after one commit of a build (not after the whole build),
and the builds start once every platform's small lists are in."""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from audience_tui.sandbox.heyloyalty import routes as heyloyalty
from audience_tui.sandbox.placewise import routes as placewise
from audience_tui.sandbox.store import (
    MAIN,
    BuildProgress,
    Store,
    TurnLock,
    database_files,
    database_of,
    size_on_disk,
)

# How long a test waits for what must happen before it fails, not a timing it asserts.
PATIENCE = 60


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        found = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    return found


def test_placewise_tables_are_in_a_file_of_their_own(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "sandbox.sqlite", big_lists=False)
    placewise.install(store)
    heyloyalty.install(store)
    members = store.connect().execute("SELECT count(*) FROM placewise_members").fetchone()[0]
    assert members > 0  # named without its file, as every query of the platform names it
    store.close()
    files = database_files(tmp_path / "sandbox.sqlite")
    assert files["placewise"] == tmp_path / "sandbox.placewise.sqlite"
    assert {"placewise_members", "placewise_clubs", "sandbox_meta"} <= tables(files["placewise"])
    assert "heyloyalty_members" in tables(files[MAIN])
    assert not any(name.startswith("placewise") for name in tables(files[MAIN]))


def test_builds_in_two_files_run_side_by_side(tmp_path: Path) -> None:
    """Placewise's build commits and finishes while Heyloyalty's holds a transaction open."""
    store = Store.open(tmp_path / "sandbox.sqlite", big_lists=False)
    inside, release = threading.Event(), threading.Event()

    def main_build(progress: BuildProgress) -> None:
        def hold(conn: sqlite3.Connection) -> None:
            conn.execute("CREATE TABLE main_rows (n)")
            inside.set()
            assert release.wait(PATIENCE)
            store.mark_seeded(conn, "main-big")

        store.write_in(MAIN, hold)

    def placewise_build(progress: BuildProgress) -> None:
        database = database_of("placewise")
        store.write_in(database, store.mark_seeded, "placewise-big", database)

    first = store.build_in_background(
        "main-big", "main", 1, main_build, platform="heyloyalty", audience_id="1"
    )
    assert inside.wait(PATIENCE)
    second = store.build_in_background(
        "placewise-big", "placewise", 1, placewise_build, platform="placewise", audience_id="2"
    )
    assert _until_done(second)  # with one writer for both, it waits for the release
    assert not first.finished
    release.set()
    assert _until_done(first)
    assert store.seeded("placewise-big", "placewise") and store.seeded("main-big")
    store.close()


def _until_done(progress: BuildProgress) -> bool:
    """Whether the build finished without an error (False: it failed or never finished)."""
    return _until(lambda: progress.finished or progress.error is not None) and not progress.error


def _until(condition: Callable[[], object]) -> bool:
    pause = threading.Event()
    for _ in range(PATIENCE * 1000):
        if condition():
            return True
        pause.wait(0.001)
    return False


def test_a_waiting_writer_goes_before_the_holder_asks_again() -> None:
    """A build takes its file's writer again right after each commit; the write that waited
    meanwhile goes first (a plain lock lets the build win that race)."""
    lock, order = TurnLock(), []
    lock.__enter__()
    waiter = threading.Thread(target=lambda: _take(lock, order, "waiter"))
    waiter.start()
    assert _until(lambda: lock._asked == 2)  # the waiter has asked for its turn
    lock.__exit__()
    _take(lock, order, "holder again")
    waiter.join(PATIENCE)
    assert order == ["waiter", "holder again"]


def _take(lock: TurnLock, order: list[str], who: str) -> None:
    with lock:
        order.append(who)


def test_builds_asked_for_while_installing_start_after_it(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "sandbox.sqlite", big_lists=False)
    ran = threading.Event()

    def build(progress: BuildProgress) -> None:
        store.write(store.mark_seeded, "big")
        progress.done = 1
        ran.set()

    with store.installing():
        progress = store.build_in_background(
            "big", "big", 1, build, platform="heyloyalty", audience_id="1"
        )
        assert not ran.is_set() and progress.done == 0
    assert ran.wait(PATIENCE) and _until_done(progress)
    store.close()


def test_a_build_commits_without_waiting_for_the_disk_and_ends_flushed(tmp_path: Path) -> None:
    """synchronous=OFF on the builder's connection while it commits (each commit's checkpoint
    flushed ~100 MB), NORMAL again for the last checkpoint and whatever it writes after."""
    store = Store.open(tmp_path / "sandbox.sqlite", big_lists=False)
    database = database_of("placewise")
    store.write(lambda conn: conn.execute(f"CREATE TABLE {database}.rows (n)"))
    modes: list[int] = []

    def insert(conn: sqlite3.Connection, start: int, stop: int) -> None:
        conn.executemany("INSERT INTO rows VALUES (?)", [(n,) for n in range(start, stop)])
        modes.append(conn.execute(f"PRAGMA {database}.synchronous").fetchone()[0])

    finish = functools.partial(store.mark_seeded, key="rows", database=database)
    store.write_rows(BuildProgress("rows", 4), 2, insert, finish, database=database)
    assert modes == [0, 0]  # OFF
    assert store.connect().execute(f"PRAGMA {database}.synchronous").fetchone()[0] == 1
    assert store.seeded("rows", database)
    store.close()


def test_the_size_on_disk_counts_every_file_of_the_store(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "sandbox.sqlite", big_lists=False)
    placewise.install(store)
    store.close()
    files = database_files(tmp_path / "sandbox.sqlite").values()
    sizes = [file.stat().st_size for file in files]
    assert all(sizes) and size_on_disk(tmp_path / "sandbox.sqlite") == sum(sizes)
