"""Ownpage's temporary-token authentication, as an httpx.Auth the account's client runs.

POST /v1/token {"username": CLIENT, "password": API_KEY} answers {"token": ...}; every call carries
`X-Ownpage-Client-Token`. Tokens expire after an unpublished lifetime and the API then answers 401,
so a 401 fetches a fresh token once and resends; a second 401 is returned as is (AuthError above).
The API key travels only in the token request's JSON body, never in a URL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import httpx

from ...core.errors import InvalidResponseError
from ...core.redact import register_secret
from ..wire import json_or_none

TOKEN_HEADER = "X-Ownpage-Client-Token"
TOKEN_PATH = "/v1/token"


class OwnpageTokenAuth(httpx.Auth):
    """Caches one token for the account; parallel requests share it and refresh it once."""

    def __init__(self, base_url: str, client: str, api_key: str, platform: str) -> None:
        self._token_url = base_url.rstrip("/") + TOKEN_PATH
        self._credentials = {"username": client, "password": api_key}
        self._platform = platform
        self._token: str | None = None
        self._lock = asyncio.Lock()

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        stale: str | None = None
        for _attempt in range(2):
            async with self._lock:
                # Another request may have refreshed the token while this one waited.
                if self._token is None or self._token == stale:
                    response = yield httpx.Request("POST", self._token_url, json=self._credentials)
                    await response.aread()
                    if not response.is_success:
                        return  # the token endpoint's refusal becomes this request's answer
                    self._token = self._read_token(response)
                token = self._token
            request.headers[TOKEN_HEADER] = token
            response = yield request
            await response.aread()
            if response.status_code != 401:
                return
            stale = token

    def _read_token(self, response: httpx.Response) -> str:
        body = json_or_none(response)
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise InvalidResponseError.unexpected(
                "no token in the token response",
                platform=self._platform,
                request=f"POST {TOKEN_PATH}",
            )
        register_secret(token)
        return token
