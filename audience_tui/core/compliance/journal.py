"""The journal of a compliance run: what has landed, so an interrupted run resumes and never sends
a write twice.

One JSON object per line under the state dir, named after what the run is for (the emails and the
accounts), so the same command finds it again. Before a write is sent, its intent is written and
synced to disk; after it, its outcome. On resume, an outcome that is final is not redone, and an
intent without an outcome (the run stopped while the write was in flight) is settled by reading
the member back, not by sending again unless the read shows the write never landed (or by a
lookup that no longer finds the email on that list: `undone`).

Only the intent is synced, and off the event loop (a worker thread; writers syncing at once share
the disk's flush): the other workers keep their requests going meanwhile. An outcome or a
"done" line lost in a crash costs nothing: the intent without an outcome is read back on resume,
and a pair marked done with such an intent is looked up again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

from ..audit import read_events
from ..redact import redact

FINAL = frozenset({"sent", "already opted out", "not found", "erased"})


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def compliance_dir() -> Path:
    return Path(platformdirs.user_state_dir("audience-tui")) / "compliance"


def run_key(kind: str, emails: Iterable[str], accounts: Iterable[str]) -> str:
    """A name for the run: the same emails (in any order or case) on the same accounts."""
    digest = hashlib.sha256(kind.encode())
    for email in sorted({e.casefold() for e in emails}):
        digest.update(b"\n" + email.encode())
    digest.update(b"\0" + "\n".join(sorted(accounts)).encode())
    return f"{kind}-{digest.hexdigest()[:16]}"


def entry_key(email: str, account: str, audience: str | None) -> tuple[str, str, str]:
    return email.casefold(), account, audience or ""


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.outcomes: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.intents: set[tuple[str, str, str]] = set()
        self.done: set[tuple[str, str]] = set()  # (email, account) pairs wholly settled
        self.started: str | None = None
        self._checked_end = False
        self._load()

    @classmethod
    def for_run(cls, key: str, directory: Path | None = None) -> Journal:
        return cls((directory or compliance_dir()) / "journals" / f"{key}.jsonl")

    def _load(self) -> None:
        for event in read_events(self.path):  # the last line, cut by a crash, is skipped
            kind = event.get("event")
            if kind == "start" and self.started is None:
                self.started = event.get("at")
            key = entry_key(event.get("email", ""), event.get("account", ""), event.get("list"))
            if kind == "done":
                self.done.add(key[:2])
            elif kind == "intent":
                self.intents.add(key)
            elif kind == "outcome":
                self.outcomes[key] = event
        unsettled = {key[:2] for key in self.intents if key not in self.outcomes}
        self.done -= unsettled

    @property
    def resumed(self) -> bool:
        return self.started is not None

    def final(self, email: str, account: str, audience: str | None) -> bool:
        outcome = self.outcomes.get(entry_key(email, account, audience))
        return outcome is not None and outcome.get("action") in FINAL

    def undone(self) -> dict[tuple[str, str], list[str]]:
        """The lists whose write is not settled, by (email casefolded, account): its last outcome
        is not final (a write that failed), or it has none (a write in flight when a run
        stopped). A later lookup that no longer finds the email on one settles it (suppress):
        else the pair would never be done, and every later run would look it up again."""
        found: dict[tuple[str, str], list[str]] = {}
        for (email, account, audience), outcome in self.outcomes.items():
            if outcome.get("action") not in FINAL:
                found.setdefault((email, account), []).append(audience)
        for email, account, audience in sorted(self.intents - self.outcomes.keys()):
            found.setdefault((email, account), []).append(audience)
        return found

    def in_flight(self, email: str, account: str, audience: str | None) -> bool:
        """An intent was written and no outcome followed: the write may have landed."""
        key = entry_key(email, account, audience)
        return key in self.intents and key not in self.outcomes

    def account_done(self, email: str, account: str) -> bool:
        """Every list of `email` on `account` was settled (or it was not found there)."""
        return (email.casefold(), account) in self.done

    def pair_done(self, email: str, account: str) -> None:
        """Written once the lookup of `email` on `account` and all its writes are settled: a
        resumed run skips the pair. Until then it looks the pair up again, so a list whose write
        had not started when the run stopped is not forgotten."""
        self.done.add((email.casefold(), account))
        self._append({"event": "done", "at": now(), "email": email, "account": account}, sync=False)

    def start(self, **details: Any) -> None:
        if self.started is None:
            self.started = now()
            self._append({"event": "start", "at": self.started, **details}, sync=True)
        else:
            self._append({"event": "resume", "at": now(), **details}, sync=True)

    async def intent(self, email: str, account: str, audience: str | None, **details: Any) -> None:
        """Written, and on disk when this returns: before the write is sent."""
        self.intents.add(entry_key(email, account, audience))
        event = {"event": "intent", "at": now(), "email": email, "account": account}
        self._append({**event, "list": audience, **details}, sync=False)
        await asyncio.to_thread(self._sync)

    def outcome(self, record: Mapping[str, Any]) -> dict[str, Any]:
        event = {"event": "outcome", **record}
        key = entry_key(record["email"], record["account"], record.get("list"))
        self.outcomes[key] = event
        self._append(event, sync=False)
        return event

    def records(self) -> list[dict[str, Any]]:
        """The last outcome of every (email, account, list), in the order they first landed."""
        return [{k: v for k, v in o.items() if k != "event"} for o in self.outcomes.values()]

    def _append(self, event: Mapping[str, Any], *, sync: bool) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = redact(json.dumps(event, ensure_ascii=False, default=str)) + "\n"
        data = line.encode("utf-8")
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if not self._checked_end:  # a crash cut the last line: start on a fresh one
                self._checked_end = True
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    data = b"\n" + data
            os.write(fd, data)
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)

    def _sync(self) -> None:
        """Flush what was appended to disk (from a worker thread)."""
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
