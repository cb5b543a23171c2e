"""Placewise opt-out, as a part of the adapter: withdraw the club's email marketing consent.

Consents are defined per loyalty club (`GET /v3/loyalty_clubs/{slug}/member_schema`, key
`consents`, legacy bl-api-v3 docs); the Reporting API's `marketing_via_email` keys on
`email_marketing`. So the slug an opt-out withdraws is read from the club's own definitions: the
`email_marketing` consent, or failing that the one consent whose slug names e-mail and marketing.
A club that defines none gets a clear error instead of a write to a consent it does not have.

The opt-out leaves `email_enabled` alone: disabling the channel stops transactional mail too
(receipts, password resets), so it is a separate, explicit choice (`disable_channel`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from ...core.errors import ValidationError
from ...core.http import ApiClient
from ...core.models import Audience, Member
from ..wire import expect
from .fields import TITLE

PREFERRED = "email_marketing"
_EMAIL_WORD = re.compile(r"e-?mail", re.IGNORECASE)
_MARKETING_WORD = re.compile(r"marketing|newsletter", re.IGNORECASE)
CHANNEL_CHOICE = "also disable the email channel (stops transactional mail too)"
LOOKUP_CONCURRENCY = 4


def email_consent_slug(slug: str, definitions: Sequence[str]) -> str:
    """The club's email marketing consent among its consent slugs, or ValidationError."""
    if PREFERRED in definitions:
        return PREFERRED
    candidates = [d for d in definitions if _EMAIL_WORD.search(d) and _MARKETING_WORD.search(d)]
    if len(candidates) == 1:
        return candidates[0]
    defined = ", ".join(definitions) or "none"
    why = "several could be it" if candidates else "none is for email marketing"
    raise ValidationError(
        f"loyalty club {slug!r} defines no single email marketing consent ({why}; its "
        f"consents: {defined}), so an opt-out cannot say what to withdraw",
        platform=TITLE,
    )


class PlacewiseConsent:
    """Mixed into PlacewiseProvider: needs its management client and `member`."""

    http: ApiClient

    async def member(self, audience: Audience, member_id: str) -> Member:
        raise NotImplementedError

    @property
    def _consent_slugs(self) -> dict[str, str]:
        if not hasattr(self, "_consent_slug_cache"):
            self._consent_slug_cache: dict[str, str] = {}
        return self._consent_slug_cache

    @property
    def _opt_out_asked(self) -> dict[tuple[str | None, str], tuple[str, bool]]:
        """(club, member id) -> (consent slug, channel disabled) of this adapter's opt-outs."""
        if not hasattr(self, "_opt_out_asked_map"):
            self._opt_out_asked_map: dict[tuple[str | None, str], tuple[str, bool]] = {}
        return self._opt_out_asked_map

    async def consent_definitions(self, slug: str) -> list[str]:
        """The consent slugs the club defines (its member schema's `consents` keys)."""
        path = f"/v3/loyalty_clubs/{quote(slug, safe='')}/member_schema"
        doc = expect(
            await self.http.json("GET", path),
            dict,
            what="member schema",
            request=f"GET {path}",
            platform=TITLE,
        )
        consents = expect(
            doc.get("consents") or {}, dict, what="consents", request=f"GET {path}", platform=TITLE
        )
        return [str(key) for key in consents]

    async def email_consent(self, slug: str) -> str:
        if slug not in self._consent_slugs:
            self._consent_slugs[slug] = email_consent_slug(
                slug, await self.consent_definitions(slug)
            )
        return self._consent_slugs[slug]

    async def opt_out(self, member: Member, *, disable_channel: bool = False) -> Member:
        """Withdraw the club's email marketing consent (and, only if asked, disable the email
        channel), then read the member back."""
        if not member.audience_id:
            raise ValidationError("the member's loyalty club is not known", platform=TITLE)
        consent = await self.email_consent(member.audience_id)
        body: dict[str, Any] = {
            "consents": {consent: {"status": False}},
            "validate_partially": True,
        }
        if disable_channel:
            body["email_enabled"] = False
        path = f"/v3/{quote(member.audience_id, safe='')}/members/{quote(member.id, safe='')}"
        await self.http.json("PUT", path, json=body)
        self._opt_out_asked[(member.audience_id, member.id)] = (consent, disable_channel)
        return await self.member(Audience(member.audience_id, member.audience_id), member.id)

    def opt_out_unconfirmed(self, after: Member) -> str | None:
        """Confirmed by the withdrawn consent reading back false (and the channel disabled,
        when that was asked); email_status alone never confirms."""
        consent, channel = self._opt_out_asked.get(
            (after.audience_id, after.id), (PREFERRED, False)
        )
        consents = after.raw.get("consents")
        given = consents.get(consent) if isinstance(consents, dict) else None
        status = given.get("status") if isinstance(given, dict) else given
        if status is not False:
            return f"consent {consent} reads back {'absent' if status is None else status}"
        if channel and after.raw.get("email_status") != "disabled":
            return f"email_status reads back {after.raw.get('email_status')!r}, not disabled"
        return None

    async def opted_out_among(self, audience: Audience, emails: Sequence[str]) -> set[str]:
        """Members of the club, among `emails`, whose email consent is withdrawn or whose email
        channel is disabled (one lookup by email each; Placewise has no batch lookup)."""
        consent = await self.email_consent(audience.id)
        gate = asyncio.Semaphore(LOOKUP_CONCURRENCY)

        async def out(email: str) -> bool:
            path = f"/v3/{quote(audience.id, safe='')}/members/by_email/"
            path += quote(email.strip().lower(), safe="@")
            async with gate:
                response = await self.http.request("GET", path, ok=(404,))
            if response.status_code == 404:
                return False
            doc = self.http.decode(response, "GET")
            consents = doc.get("consents") if isinstance(doc, dict) else None
            given = consents.get(consent) if isinstance(consents, dict) else None
            status = given.get("status") if isinstance(given, dict) else given
            return status is False or doc.get("email_status") == "disabled"

        wanted = sorted({e.strip().casefold() for e in emails if e and e.strip()})
        flags = await asyncio.gather(*(out(email) for email in wanted))
        return {email for email, flag in zip(wanted, flags, strict=True) if flag}
