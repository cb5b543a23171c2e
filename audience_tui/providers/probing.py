"""Shared by the adapters' `probe` modules: one check, run so that a platform error makes it
`could not check` (with the error) instead of ending the probe; and whether a route takes a
method, asked without sending that method (a probe never writes)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from ..core.errors import AudienceError
from ..core.http import ApiClient
from ..core.models import Check, Verdict

Finding = tuple[Verdict, str]
# Statuses an OPTIONS may answer with that still say something: not found, method not allowed,
# not implemented. Anything else (auth, 5xx) ends the check as `could not check`.
_OPTIONS_ANSWERS = (404, 405, 501)


async def checked(assumption: str, run: Callable[[], Awaitable[Finding]]) -> Check:
    try:
        verdict, evidence = await run()
    except AudienceError as exc:
        return Check(assumption, "could not check", f"the platform answered: {exc}")
    return Check(assumption, verdict, evidence)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def advertised(response: httpx.Response) -> set[str] | None:
    """The methods an OPTIONS answer lists (`Allow`, or a CORS `Access-Control-Allow-Methods`);
    None when it lists none."""
    listed = response.headers.get("Allow") or response.headers.get("Access-Control-Allow-Methods")
    if not listed:
        return None
    return {word.strip().upper() for word in listed.split(",") if word.strip()}


async def route_takes(
    http: ApiClient, method: str, path: str, *, shown: str, known: str | None = None
) -> Finding:
    """Whether `path` takes `method`, asked with OPTIONS, which changes nothing (RFC 9110).

    The answer's `Allow` decides. Without one, a 404 contradicts only when `known` (a path the
    adapter reads every day) does list its methods: the platform answers OPTIONS, and not for
    this path. Otherwise the platform does not say, and proving the route would mean sending
    `method` itself: `could not check`. `shown` is the path as the report prints it (no ids).
    """
    answer = await http.request("OPTIONS", path, ok=_OPTIONS_ANSWERS)
    methods = advertised(answer)
    if methods is not None:
        listed = ", ".join(sorted(methods))
        if method in methods:
            return "confirmed", f"OPTIONS {shown} lists {listed}"
        return "contradicted", f"OPTIONS {shown} lists {listed}: no {method}"
    if answer.status_code == 404 and known is not None:
        control = await http.request("OPTIONS", known, ok=_OPTIONS_ANSWERS)
        if advertised(control) is not None:
            return "contradicted", (
                f"OPTIONS {known} lists its methods, but {shown} is not found (HTTP 404)"
            )
    return "could not check", (
        f"OPTIONS {shown} answered HTTP {answer.status_code} without listing methods; proving "
        f"the route otherwise means sending the {method} itself, which a probe never does"
    )
