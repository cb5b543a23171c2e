"""Kajabi's OAuth2 client-credentials authentication, as an httpx.Auth the account's client runs.

POST /v1/oauth/token (form-encoded) answers {access_token, refresh_token, expires_in}; every call
carries `Authorization: Bearer`. The token is renewed shortly before it expires and, once, when the
API answers 401 anyway (revoked, rotated keys, a clock that drifted): first with the refresh_token
grant, and when that is refused with the client credentials again. If the client credentials are
refused, the token endpoint's answer (401 `{"error": ...}`) becomes the request's answer, which the
ApiClient turns into an AuthError. The secret travels only in the form body, never in a URL.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Iterator
from dataclasses import dataclass

import httpx

from ...core.errors import InvalidResponseError
from ...core.platforms import title as platform_title
from ...core.redact import register_secret
from ..wire import json_or_none

TOKEN_PATH = "/v1/oauth/token"
PLATFORM = platform_title("kajabi")


@dataclass(frozen=True, slots=True)
class Token:
    access: str
    refresh: str | None
    expires_at: float  # on the auth's clock; renewed `margin` seconds before

    def fresh(self, now: float) -> bool:
        return now < self.expires_at


class KajabiAuth(httpx.Auth):
    """One token per account; parallel requests share it and renew it once."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token_url = base_url.rstrip("/") + TOKEN_PATH
        self._client_id = client_id
        self._client_secret = client_secret
        self.clock = clock
        self.token: Token | None = None
        self._lock = asyncio.Lock()

    def _grants(self) -> Iterator[httpx.Request]:
        """Token requests to try in order: the refresh token (if any), then the credentials."""
        if self.token is not None and self.token.refresh:
            form = {"grant_type": "refresh_token", "refresh_token": self.token.refresh}
            yield httpx.Request("POST", self._token_url, data=form)
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
        }
        yield httpx.Request("POST", self._token_url, data=form)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        used: str | None = None
        for _attempt in range(2):
            async with self._lock:
                token = self.token
                # Renew when there is none, when it is about to expire, or when the API refused
                # the one this request carried (unless another request renewed it meanwhile).
                if token is None or not token.fresh(self.clock()) or token.access == used:
                    response = None
                    for grant in self._grants():
                        response = yield grant
                        await response.aread()  # httpx reads bodies only for sync-style flows
                        if response.is_success:
                            break
                    if response is None or not response.is_success:
                        self.token = None
                        return  # the token endpoint's refusal becomes this request's answer
                    token = self.token = self._read(response)
                used = token.access
            request.headers["Authorization"] = f"Bearer {used}"
            response = yield request
            if response.status_code != 401:
                return

    def _read(self, response: httpx.Response) -> Token:
        body = json_or_none(response)
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise InvalidResponseError.unexpected(
                "no access_token in the token response",
                platform=PLATFORM,
                request=f"POST {TOKEN_PATH}",
            )
        access = body["access_token"]
        refresh = body.get("refresh_token") if isinstance(body.get("refresh_token"), str) else None
        register_secret(access)
        register_secret(refresh)
        lifetime = body.get("expires_in")
        if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or lifetime <= 0:
            lifetime = 3600.0  # not stated: assume an hour, a 401 renews it anyway
        margin = min(60.0, lifetime / 10)
        return Token(access, refresh, self.clock() + lifetime - margin)
