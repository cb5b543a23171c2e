"""The demo database's schema version and page size: a new database records the version it was
made by and uses 8 KB pages (a Heyloyalty member with its stored listing JSON leaves ~14% of a
4 KB page unused); a new version leaves no old database on the user's disk, and the bench builds
its own database again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from audience_tui.sandbox.store import (
    PAGE_SIZE,
    SCHEMA_VERSION,
    Store,
    database_files,
    recorded_version,
)
from bench.build import discard_stale


def test_a_new_database_has_8_kb_pages_and_records_its_version(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.sqlite"
    store = Store.open(path, big_lists=False)
    conn = store.connect()
    conn.execute("CREATE TABLE t (x)")
    assert conn.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE == 8192
    store.close()
    assert recorded_version(path) == SCHEMA_VERSION


def test_a_database_from_before_versions_records_none(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE sandbox_meta (key TEXT PRIMARY KEY, value TEXT)")
        conn.execute("INSERT INTO sandbox_meta VALUES ('heyloyalty:v1', 'done')")
    conn.close()
    Store.open(path, big_lists=False).connect()  # opening it does not stamp it as current
    assert recorded_version(path) is None
    assert recorded_version(tmp_path / "absent.sqlite") is None
    assert not (tmp_path / "absent.sqlite").exists()


def test_the_default_cache_keeps_only_the_current_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("AUDIENCE_TUI_SANDBOX_DB", raising=False)
    cache = tmp_path / "cache" / "audience-tui"
    cache.mkdir(parents=True)
    old = [
        cache / name for name in ("sandbox-v2.sqlite", "sandbox-v2.sqlite-wal", "sandbox.sqlite")
    ]
    current = cache / f"sandbox-v{SCHEMA_VERSION}.sqlite"
    placewise = database_files(current)["placewise"]  # the current store's other file
    assert placewise.name == f"sandbox-v{SCHEMA_VERSION}.placewise.sqlite"
    kept = [current, current.with_name(current.name + "-wal"), placewise]
    for path in (*old, *kept, cache / "sandbox-v5.placewise.sqlite"):
        path.write_bytes(b"")
    store = Store.open(big_lists=False)
    assert store.path == current
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        [*(p.name for p in kept), "sandbox.sqlite"]  # not a versioned demo database
    )


def test_the_bench_builds_its_database_again_when_the_version_changed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    stale = out / "sandbox.sqlite"
    with sqlite3.connect(stale) as conn:
        conn.execute("CREATE TABLE sandbox_meta (key TEXT PRIMARY KEY, value TEXT)")
        conn.execute("INSERT INTO sandbox_meta VALUES ('schema', '2')")
    conn.close()
    stale.with_name("sandbox.sqlite-wal").write_bytes(b"")
    stale.with_name("sandbox.placewise.sqlite").write_bytes(b"")  # the store's other file
    assert discard_stale(stale)
    assert list(out.iterdir()) == []
    fresh = Store.open(stale, big_lists=False)
    fresh.connect()
    fresh.close()
    assert not discard_stale(stale) and stale.exists()
