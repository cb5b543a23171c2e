"""Placewise bulk imports, as a part of the adapter: bulks of up to 1000 members under one
import id, their status, and the session's list of imports.

Placewise documents no endpoint listing a club's imports, so `imports()` shows the import ids this
adapter started; `import_status` of any other id asks every club for it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from ...core.errors import InvalidResponseError, ValidationError
from ...core.http import ApiClient
from ...core.models import Audience, ImportJob, ImportRequest, ImportState
from ..opted_out import kept_out_note, without_opted_out
from ..wire import expect
from . import wire as parse
from .fields import READ_ONLY, TITLE

MAX_BULK = 1000
POLL_SECONDS = 5.0  # "Poll >= 5 s apart" (bulk import status, legacy docs)
IMPORT_NOTE = (
    "Placewise documents no endpoint listing imports: this shows the imports started from this "
    "app. Each bulk of up to 1000 members is a part; rows refused are listed by identifier; the "
    "finish time is when the app saw the last bulk finished (Placewise gives none)."
)


class PlacewiseImports:
    """Mixed into PlacewiseProvider: needs its management client and club list."""

    http: ApiClient
    poll_clock: Callable[[], float] = staticmethod(time.monotonic)

    async def _clubs(self) -> list[Audience]:
        raise NotImplementedError

    @property
    def _started(self) -> dict[str, str]:
        """Import ids this adapter started (its session), with their club slug."""
        if not hasattr(self, "_started_imports"):
            self._started_imports: dict[str, str] = {}
        return self._started_imports

    @property
    def _seen_over(self) -> dict[str, datetime]:
        """When this adapter first saw each import over: its finish time (Placewise has none)."""
        if not hasattr(self, "_seen_over_at"):
            self._seen_over_at: dict[str, datetime] = {}
        return self._seen_over_at

    async def start_import(self, request: ImportRequest) -> ImportJob:
        """POST the rows in bulks of at most 1000 under one import id (request_number 1..n).
        Rows of members opted out on the club are left out unless `request.resubscribe`."""
        if not request.rows:
            raise ValidationError("nothing to import", platform=TITLE)
        rows, kept_out = await without_opted_out(self, request)  # type: ignore[arg-type]
        members = [_import_member(row) for row in rows]
        slug = request.audience.id
        path = f"/v3/{quote(slug, safe='')}/members/imports"
        import_id: str | None = None
        for number, start in enumerate(range(0, len(members), MAX_BULK), 1):
            body: dict[str, Any] = {
                "request_number": number,
                "operation": "create",
                "member_identifier_type": "email",
                "members": members[start : start + MAX_BULK],
            }
            if import_id:
                body["import_id"] = import_id
            doc = expect(
                await self.http.json("POST", path, json=body),
                dict,
                what="import",
                request=f"POST {path}",
                platform=TITLE,
            )
            if not isinstance(doc.get("import_id"), str | int) or not doc["import_id"]:
                raise InvalidResponseError.unexpected(
                    "no import_id", platform=TITLE, request=f"POST {path}"
                )
            import_id = str(doc["import_id"])
            self._started[import_id] = slug
        assert import_id is not None
        return ImportJob(
            import_id,
            ImportState.QUEUED,
            slug,
            datetime.now(UTC),
            submitted=len(members),
            skipped=kept_out,
            note=IMPORT_NOTE + kept_out_note(kept_out),
        )

    async def _import_club(self, import_id: str) -> str:
        """The club of an import: remembered, or found by asking every club."""
        if import_id in self._started:
            return self._started[import_id]
        clubs = await self._clubs()
        tail = f"/members/imports/{quote(import_id, safe='')}"
        answers = await asyncio.gather(
            *(
                self.http.request("GET", f"/v3/{quote(c.id, safe='')}{tail}", ok=(404,))
                for c in clubs
            )
        )
        for club, response in zip(clubs, answers, strict=True):
            if response.status_code != 404:
                return club.id
        raise ValidationError(f"no loyalty club has an import {import_id!r}", platform=TITLE)

    async def import_status(self, import_id: str) -> ImportJob:
        """The import as last read when that was under POLL_SECONDS ago (Placewise asks for
        polls at least 5 s apart), otherwise read again."""
        last = self._polled.get(import_id)
        if last is not None and self.poll_clock() - last[0] < POLL_SECONDS:
            return last[1]
        job = await self._read_import(import_id)
        self._polled[import_id] = (self.poll_clock(), job)
        return job

    @property
    def _polled(self) -> dict[str, tuple[float, ImportJob]]:
        if not hasattr(self, "_polled_imports"):
            self._polled_imports: dict[str, tuple[float, ImportJob]] = {}
        return self._polled_imports

    async def _read_import(self, import_id: str) -> ImportJob:
        slug = await self._import_club(import_id)
        path = f"/v3/{quote(slug, safe='')}/members/imports/{quote(import_id, safe='')}"
        label = f"GET {path}"
        doc = await self.http.json("GET", path)
        summaries = expect(
            expect(doc, dict, what="import", request=label, platform=TITLE).get("bulks") or [],
            list,
            what="bulks",
            request=label,
            platform=TITLE,
        )
        bulks = [parse.parse_bulk(b, slug, label) for b in summaries]

        async def detail(bulk: ImportJob) -> ImportJob:
            if bulk.state not in (ImportState.FINISHED, ImportState.FAILED):
                return bulk
            bulk_path = f"{path}/bulks/{quote(bulk.id, safe='')}"
            return parse.parse_bulk(await self.http.json("GET", bulk_path), slug, bulk_path)

        parts = list(await asyncio.gather(*(detail(b) for b in bulks)))
        job = parse.parse_import(doc, import_id, slug, parts, IMPORT_NOTE, label)
        if job.state in (ImportState.FINISHED, ImportState.FAILED):
            return replace(
                job, finished_at=self._seen_over.setdefault(import_id, datetime.now(UTC))
            )
        return job

    async def imports(self) -> list[ImportJob]:
        return list(await asyncio.gather(*(self.import_status(i) for i in self._started)))


def _import_member(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row of mapped fields as an import member: properties, opt-in channel 'import'."""
    computed = sorted(set(row) & READ_ONLY)
    if computed:
        raise ValidationError(
            f"Placewise computes {', '.join(computed)}; these cannot be imported", platform=TITLE
        )
    properties = {k: v for k, v in row.items() if v is not None and v != ""}
    if not isinstance(properties.get("email"), str) or not properties["email"].strip():
        raise ValidationError("every imported row needs an email", platform=TITLE)
    return {"properties": properties, "optin_channel": "import"}
