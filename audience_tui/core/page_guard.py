"""One rule for every loop that walks a platform's pages: it ends, whatever the platform answers.

A platform that lies (a total of 10^12, a cursor that comes back unchanged, the same full window
whatever was asked) would otherwise keep a walk going forever, sending hundreds of requests a second
and filling memory with duplicates. Each walk keeps a `PageGuard` and shows it every page; the
guard raises PagingError, naming what the platform did, on a page it already answered (the same
first member), on a cursor already followed, and past a ceiling no real list reaches. The empty
page is each loop's own stop (it ends every walk, with or without a total).

The member table's page cache (core.page_cache) fetches pages out of order and again after evicting
them: it names each page (`at`), and a page answered again the same is not a repeat.
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import PagingError

MAX_ROWS = 50_000_000  # fifty times the largest list the app is measured with (bench/)
MAX_PAGES = 1_000_000


class PageGuard:
    """Watches one walk through one view's pages; `page` raises where the walk must stop."""

    def __init__(
        self,
        platform: str,
        request: str = "",
        *,
        max_rows: int = MAX_ROWS,
        max_pages: int = MAX_PAGES,
    ) -> None:
        self.platform = platform
        self.request = request
        self.max_rows = max_rows
        self.max_pages = max_pages
        self.rows = 0
        self.pages = 0
        # first member of each page, and each cursor given, with the page that gave it (None:
        # a walk in order, where any second sighting is a repeat)
        self._firsts: dict[str, int | None] = {}
        self._cursors: dict[str, int | None] = {}
        self._answered: set[int] = set()  # pages counted, by `at`

    @classmethod
    def resume(cls, platform: str, rows: int, first: str | None, cursor: str | None) -> PageGuard:
        """A guard picking a walk up where a token says it was (rows seen, the first member of
        the last page, the cursor that led here): for fetchers that keep no state."""
        guard = cls(platform)
        guard.rows = rows
        guard._firsts.update(dict.fromkeys(filter(None, [first])))
        guard._cursors.update(dict.fromkeys(filter(None, [cursor])))
        return guard

    def error(self, what: str) -> PagingError:
        return PagingError(what, platform=self.platform, request=self.request)

    def page(
        self,
        ids: Sequence[str],
        *,
        next_cursor: str | None = None,
        total: int | None = None,
        rows: int | None = None,
        at: int | None = None,
    ) -> None:
        """Count one page (its members' ids in order, the cursor it gave for the next one);
        `rows`: the page's length where `ids` holds its first member's alone (a column); `at`
        names the page where pages are fetched out of order or again. A page that raises
        leaves no trace: asked for again, it is judged afresh."""
        first = ids[0] if ids else None
        length = len(ids) if rows is None else rows
        if first is not None and self._seen(self._firsts, first, at):
            raise self.error(
                f"the platform answered a page it had already sent (member {first} first "
                f"again after {self.rows:,} rows): it ignores the page asked for"
            )
        if next_cursor is not None and self._seen(self._cursors, next_cursor, at):
            raise self.error(
                f"the platform's paging cursor did not advance (a cursor already followed "
                f"came back after {self.rows + length:,} rows)"
            )
        if first is not None:
            self._firsts[first] = at
        if next_cursor is not None:
            self._cursors[next_cursor] = at
        if at is not None:
            if at in self._answered:
                return  # the same page again: counted once
            self._answered.add(at)
        self.pages += 1
        self.rows += length
        if self.rows > self.max_rows or self.pages > self.max_pages:
            claimed = f" of the {total:,} it reports" if total is not None else ""
            raise self.error(
                f"stopped after {self.rows:,} rows in {self.pages:,} pages{claimed}: more than "
                "any real list holds"
            )

    @staticmethod
    def _seen(sightings: dict[str, int | None], key: str, at: int | None) -> bool:
        """Whether `key` came from another page before (in a walk in order: at all)."""
        return key in sightings and (at is None or sightings[key] != at)

    def short(self, seen: int, total: int, size: int) -> None:
        """An empty page at row `seen` of a view said to hold `total`: the walk ends there. Off
        by less than a page is members who left meanwhile; more is a total that lies."""
        if total - seen >= size:
            raise self.error(
                f"the platform reports {total:,} rows but its pages end after {seen:,} "
                "(an empty page where more were due)"
            )
