"""The sandbox's SQLite database: where the emulated platforms keep their data between runs.

Each platform module owns its own tables (prefixed with its name) and its seeding. Queries run in a
worker thread (`Store.run`) because the sandbox shares its event loop with the TUI in demo mode, and
a scan of a million rows must not freeze the screen. Large demo lists are built in the background
(`Store.build_in_background`) with progress the app can show.

The platforms in SEPARATE keep their tables in a database file of their own beside the main one,
attached to every connection under the platform's name (queries name tables without it: SQLite
finds them there). SQLite has one writer per file, and releases the GIL while a statement steps,
so a big list's build in each file runs on a core of its own, side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import platformdirs

from .demo_credentials import PLATFORMS

T = TypeVar("T")
# Bump to rebuild every user's demo database (2: Heyloyalty docs; 3: 8 KB pages; 4: Heyloyalty's
# positional member ids left out of the index of ids; 5: and their emails out of the index of
# emails; 6: Placewise's tables in a file of their own; 7: Placewise's positional emails out of
# its index of emails; 8: Placewise's moments as integers; 9: Placewise's coded and generated
# columns). The bench's database (bench/build.py) is rebuilt when the version recorded differs.
SCHEMA_VERSION = "9"
# A stored Heyloyalty member with its listing JSON is ~870 bytes: a 4 KB page holds four and
# leaves ~14% unused, an 8 KB page nine (~4%). Takes effect when the database file is created.
PAGE_SIZE = 8192
# Rows of a big list's build per transaction. Its members' emails and ids are random keys, so a
# commit rewrites nearly every leaf page of those indexes (~110 MB at a million): committing every
# 20,000 rows wrote 9.5 GB for a 1 GB list (Heyloyalty, measured), every 100,000 rows 4.1 GB.
COMMIT_ROWS = 100_000
# A write-ahead log grown by a big transaction (~200 MB of such a commit) is cut back to this
# after a checkpoint, instead of staying on the disk at its largest as long as the database.
WAL_LIMIT = 64 * 1024 * 1024
ALL_PLATFORMS = frozenset(PLATFORMS)
# Platforms whose tables are in a database file of their own (see the module's docstring): the
# default big lists' other platform, so the two builds run at once.
SEPARATE = ("placewise",)
MAIN = "main"
SUFFIXES = ("", "-wal", "-shm")  # a database file and the files SQLite keeps beside it
# The big lists the demo builds by default: one offset-paged million (Heyloyalty) and Placewise's.
# The others (Ownpage 1M, Emma 1M, Kajabi 100k) on request: AUDIENCE_TUI_SANDBOX_BIG=all.
DEFAULT_BIG = frozenset({"heyloyalty", "placewise"})
_META = "sandbox_meta (key TEXT PRIMARY KEY, value TEXT)"  # what each file has seeded


def default_path() -> Path:
    override = os.environ.get("AUDIENCE_TUI_SANDBOX_DB")
    if override:
        return Path(override)
    return Path(platformdirs.user_cache_dir("audience-tui")) / f"sandbox-v{SCHEMA_VERSION}.sqlite"


def database_of(platform: str) -> str:
    """The schema name a platform's tables are in: its own attached file, or "main"."""
    return platform if platform in SEPARATE else MAIN


def database_files(path: Path) -> dict[str, Path]:
    """The files of the store at `path` by schema name: `path` itself for "main", and beside it
    one per platform in SEPARATE (sandbox.sqlite -> sandbox.placewise.sqlite)."""
    return {MAIN: path} | {
        name: path.with_name(f"{path.stem}.{name}{path.suffix}") for name in SEPARATE
    }


def copy_store(source: Path, target: Path) -> None:
    """The store at `source` copied to `target`, each of its files (a platform's beside it); a
    store with no connection open, whose write-ahead logs were checkpointed away."""
    pairs = zip(database_files(source).values(), database_files(target).values(), strict=True)
    for original, copy in pairs:
        shutil.copy(original, copy)


def size_on_disk(path: Path) -> int:
    """Bytes the store at `path` takes: each of its files with their WAL files."""
    files = (f.with_name(f.name + end) for f in database_files(path).values() for end in SUFFIXES)
    return sum(file.stat().st_size for file in files if file.exists())


def remove_old_versions(current: Path) -> None:
    """Delete the demo databases of other schema versions beside `current` (with their WAL
    files): a rebuilt cache would otherwise leave the old one's ~1.5 GB on the user's disk."""
    keep = tuple(path.name for path in database_files(current).values())
    for old in current.parent.glob("sandbox-v*.sqlite*"):
        if not old.name.startswith(keep):
            old.unlink(missing_ok=True)


def recorded_version(path: Path) -> str | None:
    """The schema version a database file was created with (None: before versions were
    recorded, or no such database). Reads without creating or changing anything."""
    if not path.exists():
        return None
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT value FROM sandbox_meta WHERE key = 'schema'").fetchone()
    except sqlite3.OperationalError:  # no sandbox_meta: an empty or unseeded database
        return None
    finally:
        conn.close()
    return row[0] if row else None


def _big_platforms(choice: bool | Iterable[str] | None) -> frozenset[str]:
    if choice is None:
        if os.environ.get("AUDIENCE_TUI_SANDBOX_SMALL"):
            return frozenset()
        named = os.environ.get("AUDIENCE_TUI_SANDBOX_BIG", "").strip()
        if not named:
            return DEFAULT_BIG
        choice = ALL_PLATFORMS if named == "all" else named.split(",")
    if choice is True:
        return ALL_PLATFORMS
    if choice is False:
        return frozenset()
    return frozenset(name.strip() for name in choice) & ALL_PLATFORMS


def _record_version(conn: sqlite3.Connection) -> None:
    """Record SCHEMA_VERSION in a database that has no tables yet (a new one); a database from
    before versions were recorded stays without one."""
    if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
        return
    conn.execute(f"CREATE TABLE IF NOT EXISTS {_META}")
    conn.execute("INSERT OR IGNORE INTO sandbox_meta VALUES ('schema', ?)", (SCHEMA_VERSION,))


class TurnLock:
    """A lock granted in the order it was asked for. A build takes its file's writer again right
    after each commit: with a plain `threading.Lock` it would win that race every time, and a
    write waiting for the file (the demo's, another platform's seeding) would wait for the whole
    build (20 s, measured) instead of one commit."""

    def __init__(self) -> None:
        self._turns = threading.Condition()
        self._asked = self._served = 0

    def __enter__(self) -> None:
        with self._turns:
            ticket, self._asked = self._asked, self._asked + 1
            self._turns.wait_for(lambda: self._served == ticket)

    def __exit__(self, *exc: object) -> None:
        with self._turns:
            self._served += 1
            self._turns.notify_all()


@dataclass
class BuildProgress:
    """How far a background build has come; read by the UI, written by the builder thread."""

    label: str
    total: int
    done: int = 0
    finished: bool = False
    error: str | None = None
    platform: str = ""
    audience_id: str = ""  # the list it fills, by the id the platform's API gives it
    started: bool = False  # it has its file's turn (builds in one file wait for each other)

    @property
    def fraction(self) -> float:
        return 1.0 if self.finished else (self.done / self.total if self.total else 0.0)


@dataclass
class Store:
    path: Path
    big: frozenset[str] = DEFAULT_BIG  # platforms whose big demo list is built
    builds: dict[str, BuildProgress] = field(default_factory=dict)
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _functions: dict[str, tuple[int, Callable[..., Any]]] = field(default_factory=dict, repr=False)
    _serving: ThreadPoolExecutor | None = field(default=None, repr=False)
    # per database file: its one writer (`write`, `write_rows`) and its one big build at a time
    _write_locks: dict[str, TurnLock] = field(default_factory=dict, repr=False)
    _build_locks: dict[str, threading.Lock] = field(default_factory=dict, repr=False)
    _held: list[threading.Thread] | None = field(default=None, repr=False)  # see `installing`

    def __post_init__(self) -> None:
        for name in database_files(self.path):
            self._write_locks[name], self._build_locks[name] = TurnLock(), threading.Lock()

    @classmethod
    def open(
        cls, path: Path | None = None, *, big_lists: bool | Iterable[str] | None = None
    ) -> Store:
        """The store at `path` (default: the user cache dir, or $AUDIENCE_TUI_SANDBOX_DB).

        `big_lists`: True for every platform's big list, False for none, or platform names.
        By default: none when $AUDIENCE_TUI_SANDBOX_SMALL is set (tests, CI), the platforms named
        in $AUDIENCE_TUI_SANDBOX_BIG ("all" or a comma-separated list), else DEFAULT_BIG.
        """
        if path is None:
            path = default_path()
            if "AUDIENCE_TUI_SANDBOX_DB" not in os.environ:
                remove_old_versions(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(path=path, big=_big_platforms(big_lists))

    def wants_big(self, platform: str) -> bool:
        return platform in self.big

    def connect(self) -> sqlite3.Connection:
        """This thread's connection (one per thread; SQLite connections are not shared), with
        the SQL functions the platforms added (`add_function`)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            for name, path in database_files(self.path).items():
                if name != MAIN:
                    conn.execute(f"ATTACH DATABASE ? AS {name}", (str(path),))
                conn.execute(f"PRAGMA {name}.page_size={PAGE_SIZE}")  # before WAL: new files only
                conn.execute(f"PRAGMA {name}.journal_mode=WAL")
                conn.execute(f"PRAGMA {name}.synchronous=NORMAL")
                conn.execute(f"PRAGMA {name}.journal_size_limit={WAL_LIMIT}")
            conn.execute("PRAGMA foreign_keys=ON")
            _record_version(conn)
            self._local.conn, self._local.functions = conn, 0
        if self._local.functions != len(self._functions):
            for name, (arity, function) in self._functions.items():
                conn.create_function(name, arity, function, deterministic=True)
            self._local.functions = len(self._functions)
        return conn

    def add_function(self, name: str, arity: int, function: Callable[..., Any]) -> None:
        """A deterministic SQL function on every connection of the store. Each connection
        registers it once: registering one makes SQLite prepare all of the connection's
        statements again, which per request cost more than small pages' queries."""
        self._functions[name] = (arity, function)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(conn, *args)` in a worker thread; writes are serialised."""
        return await asyncio.to_thread(self._call, fn, args)

    async def run_in_turn(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(conn, *args)` on the store's one serving thread, in the order asked: for the
        big reads that finish no sooner side by side. Four 5,000-member listing pages at once
        finished together, each as late as the last (SQLite's allocations contend, and this
        machine's two cores are the app's too); behind a lock, spread over the worker threads'
        connections, each page still cost ~8 ms of CPU where one thread's connection takes ~6."""
        if self._serving is None:
            self._serving = ThreadPoolExecutor(1, thread_name_prefix="sandbox-serving")
        return await asyncio.get_running_loop().run_in_executor(self._serving, self._call, fn, args)

    def _call(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        return fn(self.connect(), *args)

    def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(conn, *args)` inside one transaction, serialised with other writers: it may
        write any table, so it waits for every file's writer."""
        with contextlib.ExitStack() as held:
            for lock in self._write_locks.values():  # always in the same order
                held.enter_context(lock)
            return self._transaction("BEGIN IMMEDIATE", fn, args)

    def write_in(self, database: str, fn: Callable[..., T], *args: Any) -> T:
        """`write` for a `fn` that writes only `database`'s tables: it waits only for that
        file's writer, so a build in another file goes on meanwhile. Deferred: BEGIN IMMEDIATE
        would take every attached file's write lock."""
        with self._write_locks[database]:
            return self._transaction("BEGIN", fn, args)

    def _transaction(self, begin: str, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        conn = self.connect()
        conn.execute(begin)
        try:
            result = fn(conn, *args)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    def write_rows(
        self,
        progress: BuildProgress,
        step: int,
        insert: Callable[[sqlite3.Connection, int, int], None],
        finish: Callable[[sqlite3.Connection], None],
        committed: Callable[[int], None] = lambda end: None,
        *,
        database: str = MAIN,
    ) -> None:
        """A big list's rows progress.done..progress.total-1: `insert(conn, start, stop)` for
        steps of `step` rows, committed every COMMIT_ROWS (rounded to whole steps), `finish`
        in the last transaction and `committed(end)` after each commit. `progress.done` moves
        at each commit, with what readers can see (the list's member count agrees with it),
        and a stopped build resumes after the last commit. Every transaction writes only
        `database`'s tables (`write_in`).

        The commits do not wait for the disk (synchronous=OFF on the builder's connection: each
        commit's checkpoint flushed ~100 MB, 4 of the Heyloyalty build's 29 s); the last
        checkpoint flushes them all. A process stopped midway loses nothing committed; a machine
        that loses power midway can leave the cache damaged (the README says how to remove it).
        """
        per_commit = step * max(1, COMMIT_ROWS // step)
        conn = self.connect()
        conn.execute(f"PRAGMA {database}.synchronous=OFF")
        try:
            self._write_chunks(progress, step, per_commit, insert, finish, committed, database)
        finally:
            conn.execute(f"PRAGMA {database}.synchronous=NORMAL")
        # the last commits' log, up to COMMIT_ROWS rows, into the database and off the disk (of
        # this file only: unnamed, the checkpoint would wait for the other files' writers)
        conn.execute(f"PRAGMA {database}.wal_checkpoint(TRUNCATE)")

    def _write_chunks(
        self,
        progress: BuildProgress,
        step: int,
        per_commit: int,
        insert: Callable[[sqlite3.Connection, int, int], None],
        finish: Callable[[sqlite3.Connection], None],
        committed: Callable[[int], None],
        database: str,
    ) -> None:
        while progress.done < progress.total:
            first, end = progress.done, min(progress.total, progress.done + per_commit)

            def chunk(conn: sqlite3.Connection, first: int = first, end: int = end) -> None:
                for start in range(first, end, step):
                    insert(conn, start, min(start + step, end))
                if end == progress.total:
                    finish(conn)

            self.write_in(database, chunk)
            progress.done = end
            committed(end)

    async def run_write(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(self.write, fn, *args)

    def seeded(self, key: str, database: str = MAIN) -> bool:
        """Whether `key` was marked in `database`'s file: the mark commits with what it marks."""
        conn = self.connect()
        conn.execute(f"CREATE TABLE IF NOT EXISTS {database}.{_META}")
        row = conn.execute(
            f"SELECT value FROM {database}.sandbox_meta WHERE key = ?", (key,)
        ).fetchone()
        return row is not None

    def mark_seeded(self, conn: sqlite3.Connection, key: str, database: str = MAIN) -> None:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {database}.{_META}")
        conn.execute(f"INSERT OR REPLACE INTO {database}.sandbox_meta VALUES (?, 'done')", (key,))

    def build_in_background(
        self,
        key: str,
        label: str,
        total: int,
        build: Callable[[BuildProgress], None],
        *,
        platform: str,
        audience_id: str,
    ) -> BuildProgress:
        """Start `build(progress)` in a daemon thread unless it already ran (or is running).

        `build` must commit in batches, advance `progress.done`, and call `mark_seeded(conn, key,
        database_of(platform))` in its last transaction, so an interrupted build resumes or
        restarts cleanly next time. Builds in one file run one after the other, builds in two
        files side by side.
        """
        if key in self.builds:
            return self.builds[key]
        progress = BuildProgress(label, total, platform=platform, audience_id=audience_id)
        self.builds[key] = progress
        database = database_of(platform)
        if self.seeded(key, database):
            progress.done, progress.finished = total, True
            return progress

        def target() -> None:
            try:
                with self._build_locks[database]:  # one writer per file
                    progress.started = True
                    build(progress)
            except Exception as exc:  # reported to the UI through progress.error
                progress.error = f"{type(exc).__name__}: {exc}"
            else:
                progress.finished = True

        thread = threading.Thread(target=target, name=f"sandbox-build-{key}", daemon=True)
        if self._held is None:
            thread.start()
        else:
            self._held.append(thread)
        return progress

    @contextlib.contextmanager
    def installing(self) -> Iterator[None]:
        """Builds asked for inside start when it ends: every platform's tables and small lists
        are in first, their writes not waiting behind a big list's commits."""
        self._held = []
        try:
            yield
        finally:
            held, self._held = self._held, None
            for thread in held:
                thread.start()

    def close(self) -> None:
        """Close this thread's connection, and the serving thread's (`run_in_turn`) with it."""
        if self._serving is not None:
            self._serving.submit(self._close_here).result()
            self._serving.shutdown()
            self._serving = None
        self._close_here()

    def _close_here(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
