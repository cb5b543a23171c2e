"""Kajabi public API v1 in the sandbox: OAuth2 tokens, sites, contacts and customers (JSON:API).

Served under /kajabi at Kajabi's real paths (/kajabi/v1/contacts ...). Faithful to the public
reference where it speaks (form-encoded token endpoint answering `{"error"}`, JSON:API documents
and error objects, page[number]/page[size] with links and meta, `-` sorts, sparse fieldsets,
filter[site_id] required on a multi-site account, 422 when deleting a contact with active
payments). Where it is silent the choice is marked "assumed" (see kajabi_query for listings):
- access tokens live TOKEN_TTL seconds (7200, assumed); refresh tokens until used or revoked;
- PATCH subscribed:false unsubscribes and records the time (unsubscribed_in_last then finds it).
Tokens are held in memory: a restarted sandbox asks clients to authenticate again.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..demo_credentials import DEMO
from ..responses import JSONResponse
from ..store import Store
from . import data as kajabi_data
from .data import iso
from .query import (
    BadRequest,
    fetch_one,
    fold,
    list_page,
    page_of,
    parse_listing,
    sparse,
    total_pages,
)

PREFIX, DEMO_SETTINGS, DEMO_SECRETS = DEMO["kajabi"]
TOKEN_TTL = 7200  # seconds; Kajabi does not publish the lifetime (assumed)
MEDIA_TYPE = "application/vnd.api+json"
WRITABLE = frozenset(
    {
        "name",
        "email",
        "phone_number",
        "business_number",
        "subscribed",
        "address_line_1",
        "address_line_2",
        "address_city",
        "address_state",
        "address_country",
        "address_zip",
        "custom_1",
        "custom_2",
        "custom_3",
    }
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class TokenBook:
    """Issued tokens: access token -> (expiry, its refresh token); counts grants for tests."""

    access: dict[str, tuple[float, str]] = field(default_factory=dict)
    refresh: dict[str, str] = field(default_factory=dict)  # refresh token -> access token
    grants: Counter[str] = field(default_factory=Counter)

    def issue(self, grant: str) -> dict[str, Any]:
        access, refresh = f"kat_{secrets.token_urlsafe(24)}", f"krt_{secrets.token_urlsafe(24)}"
        self.access[access] = (time.time() + TOKEN_TTL, refresh)
        self.refresh[refresh] = access
        self.grants[grant] += 1
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL,
        }

    def valid(self, token: str) -> bool:
        entry = self.access.get(token)
        return entry is not None and entry[0] > time.time()

    def redeem(self, refresh: str) -> bool:
        """Use a refresh token once: it and its access token stop working."""
        access = self.refresh.pop(refresh, None)
        if access is None:
            return False
        self.access.pop(access, None)
        return True

    def revoke(self, token: str) -> None:
        if token in self.access:
            self.refresh.pop(self.access.pop(token)[1], None)
        else:
            self.access.pop(self.refresh.pop(token, ""), None)

    def expire_all(self) -> None:
        for token, (_, refresh) in self.access.items():
            self.access[token] = (0.0, refresh)


TOKENS = TokenBook()


def expire_tokens() -> None:
    """Test hook: every access token issued so far is now expired (refresh tokens still work)."""
    TOKENS.expire_all()


def install(store: Store) -> None:
    store.add_function("kj_fold", 1, fold)
    kajabi_data.install(store)


def document(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def error(status: int, title: str, detail: str, parameter: str | None = None) -> JSONResponse:
    """A JSON:API error document, as Kajabi answers everything but the token endpoint."""
    source = {"parameter": parameter} if parameter else None
    item = {"status": str(status), "title": title, "detail": detail, "source": source}
    return document({"errors": [item]}, status)


def oauth_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


Handler = Callable[[Request], Awaitable[Response]]


def authenticated(handler: Handler) -> Handler:
    """401 (JSON:API) unless the request carries a live Bearer token."""

    async def check(request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not TOKENS.valid(token.strip()):
            return error(401, "Unauthorized", "Access token is missing, invalid or expired")
        return await handler(request)

    return check


def links(request: Request, number: int, size: int, pages: int) -> dict[str, str | None]:
    """self/first/prev/next/last of a paged listing; prev and next are null at the edges."""

    def at(page: int) -> str:
        kept = [
            (k, v)
            for k, v in request.query_params.multi_items()
            if k not in ("page[number]", "page[size]")
        ]
        query = urlencode(
            [*kept, ("page[number]", str(page)), ("page[size]", str(size))], safe="[],"
        )
        return str(request.url.replace(query=query))

    return {
        "self": at(number),
        "first": at(1),
        "prev": at(number - 1) if number > 1 else None,
        "next": at(number + 1) if number < pages else None,
        "last": at(pages),
    }


def paged(request: Request, items: list[Any], total: int, number: int, size: int) -> JSONResponse:
    pages = total_pages(total, size)
    meta = {"total_pages": pages, "total_count": total, "current_page": number}
    return document({"data": items, "links": links(request, number, size, pages), "meta": meta})


def _sites(conn: Any) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT * FROM kajabi_sites ORDER BY id").fetchall()
    return [
        {
            "id": str(r["id"]),
            "type": "sites",
            "attributes": {
                "title": r["title"],
                "subdomain": r["subdomain"],
                "created_at": r["created_at"],
                "updated_at": r["updated_at"],
            },
        }
        for r in rows
    ]


def routes(store: Store) -> list[BaseRoute]:
    async def token(request: Request) -> Response:
        form = await request.form()
        grant = str(form.get("grant_type") or "")
        if grant == "client_credentials":
            client_id, secret = (
                str(form.get("client_id") or ""),
                str(form.get("client_secret") or ""),
            )
            if not client_id or not secret:
                return oauth_error(400, "client_id and client_secret are required")
            known = DEMO_SETTINGS["client_id"], DEMO_SECRETS["client_secret"]
            if not all(map(secrets.compare_digest, (client_id, secret), known)):
                return oauth_error(401, "Invalid client credentials")
        elif grant == "refresh_token":
            if not TOKENS.redeem(str(form.get("refresh_token") or "")):
                return oauth_error(401, "Invalid or expired refresh token")
        else:
            return oauth_error(400, f"Unsupported grant_type {grant!r}")
        return JSONResponse(TOKENS.issue(grant))

    @authenticated
    async def revoke(request: Request) -> Response:
        form = await request.form()
        TOKENS.revoke(str(form.get("token") or ""))
        return Response(status_code=200)

    async def version(request: Request) -> Response:
        return document(
            {
                "meta": {"title": "Kajabi API V1", "version": "1.1.0"},
                "links": {"documentation": "https://developers.kajabi.com"},
                "jsonapi": {"version": "1.0"},
            }
        )

    @authenticated
    async def me(request: Request) -> Response:
        attributes = {"name": "Demo Owner", "email": "owner@example.com"}
        return document({"data": {"id": "31337", "type": "users", "attributes": attributes}})

    @authenticated
    async def sites(request: Request) -> Response:
        params = request.query_params
        items = await store.run(_sites)
        for key in ("title", "subdomain"):
            wanted = (params.get(f"filter[{key}_cont]") or "").casefold()
            items = [s for s in items if wanted in s["attributes"][key].casefold()]
        sort = params.get("sort") or "title"
        if sort.removeprefix("-") not in ("title", "subdomain"):
            return error(400, "Bad Request", "sort must be title or subdomain", "sort")
        items.sort(key=lambda s: s["attributes"][sort.removeprefix("-")], reverse=sort[0] == "-")
        try:
            number, size = page_of(params)
        except BadRequest as exc:
            return error(400, "Bad Request", exc.detail, exc.parameter)
        start = (number - 1) * size
        page = [sparse(s, params.get("fields[sites]")) for s in items[start : start + size]]
        return paged(request, page, len(items), number, size)

    @authenticated
    async def site(request: Request) -> Response:
        found = [s for s in await store.run(_sites) if s["id"] == request.path_params["id"]]
        if not found:
            return error(404, "Not Found", "Site not found")
        return document({"data": sparse(found[0], request.query_params.get("fields[sites]"))})

    def listing_of(resource: str) -> Handler:
        @authenticated
        async def listing(request: Request) -> Response:
            params = request.query_params
            all_sites = await store.run(_sites)
            site_id = params.get("filter[site_id]")
            if site_id is None and len(all_sites) > 1:
                detail = "filter[site_id] is required when the account has multiple sites"
                return error(400, "Bad Request", detail, "filter[site_id]")
            site_id = site_id if site_id is not None else all_sites[0]["id"]
            if site_id not in {s["id"] for s in all_sites}:
                return error(404, "Not Found", "Site not found", "filter[site_id]")
            try:
                query = parse_listing(resource, params, int(site_id))
                items, total = await store.run(list_page, query)
            except BadRequest as exc:
                return error(400, "Bad Request", exc.detail, exc.parameter)
            wanted = params.get(f"fields[{resource}]")
            items = [sparse(item, wanted) for item in items]
            return paged(request, items, total, query.number, query.size)

        return listing

    def show_of(resource: str) -> Handler:
        @authenticated
        async def show(request: Request) -> Response:
            item = await store.run(fetch_one, resource, request.path_params["id"])
            if item is None:
                return error(404, "Not Found", f"{resource[:-1].capitalize()} not found")
            return document({"data": sparse(item, request.query_params.get(f"fields[{resource}]"))})

        return show

    @authenticated
    async def contact(request: Request) -> Response:
        if request.method == "GET":
            return await show_of("contacts")(request)
        contact_id = request.path_params["id"]
        if await store.run(fetch_one, "contacts", contact_id) is None:
            return error(404, "Not Found", "Contact not found")
        if request.method == "DELETE":
            if not await store.run_write(_delete, int(contact_id)):
                detail = "Contact has active Kajabi Payments subscriptions or payment plans"
                return error(422, "Unprocessable Entity", detail)
            return document({"data": {}})
        found = await contact_document(request)
        if isinstance(found, Response):
            return found
        data, attributes = found
        if str(data.get("id")) != contact_id:
            return error(409, "Conflict", "data.id must be the URL's id")
        problem = _check(attributes)
        if problem:
            return refused(*problem)
        await store.run_write(_patch, int(contact_id), attributes, iso(datetime.now(UTC)))
        return document({"data": await store.run(fetch_one, "contacts", contact_id)})

    @authenticated
    async def create_contact(request: Request) -> Response:
        """POST /v1/contacts: 201 with the new contact; 400 without the site relationship;
        422 for an attribute Kajabi would refuse (the email is required)."""
        found = await contact_document(request)
        if isinstance(found, Response):
            return found
        data, attributes = found
        site = ((data.get("relationships") or {}).get("site") or {}).get("data") or {}
        if not isinstance(site, dict) or not site.get("id"):
            return error(400, "Bad Request", "The site relationship is required")
        if str(site["id"]) not in {s["id"] for s in await store.run(_sites)}:
            return error(404, "Not Found", "Site not found", "relationships.site")
        problem = _check(attributes) or (
            None if attributes.get("email") else ("email", "Email can't be blank")
        )
        if problem:
            return refused(*problem)
        now = iso(datetime.now(UTC))
        new_id = await store.run_write(_create, int(site["id"]), attributes, now)
        return document({"data": await store.run(fetch_one, "contacts", str(new_id))}, 201)

    return [
        Route("/v1/oauth/token", token, methods=["POST"]),
        Route("/v1/oauth/revoke", revoke, methods=["POST"]),
        Route("/v1/version", version),
        Route("/v1/me", me),
        Route("/v1/sites", sites),
        Route("/v1/sites/{id}", site),
        Route("/v1/contacts", listing_of("contacts")),
        Route("/v1/contacts", create_contact, methods=["POST"]),
        Route("/v1/contacts/{id}", contact, methods=["GET", "PATCH", "DELETE"]),
        Route("/v1/customers", listing_of("customers")),
        Route("/v1/customers/{id}", show_of("customers")),
    ]


async def contact_document(request: Request) -> tuple[dict[str, Any], dict[str, Any]] | Response:
    """(data, attributes) of a contacts document in the body, or the 400/409 answering it."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        return error(400, "Bad Request", "The request body is not valid JSON")
    data = body.get("data") if isinstance(body, dict) else None
    attributes = data.get("attributes") if isinstance(data, dict) else None
    if not isinstance(attributes, dict):
        return error(400, "Bad Request", "Expected {data: {type, attributes}}")
    if not isinstance(data, dict) or data.get("type") != "contacts":  # a type it does not hold
        return error(409, "Conflict", "data.type must be contacts")
    return data, attributes


def refused(name: str, detail: str) -> JSONResponse:
    """The 422 error document for one attribute."""
    item = {
        "status": "422",
        "title": "Unprocessable Entity",
        "detail": detail,
        "source": {"pointer": f"/data/attributes/{name}"},
    }
    return document({"errors": [item]}, 422)


def _check(attributes: dict[str, Any]) -> tuple[str, str] | None:
    """(attribute, message) of the first attribute Kajabi would refuse, else None."""
    for name, value in attributes.items():
        if name not in WRITABLE:
            return name, f"{name} is not a writable attribute"
        if name == "subscribed" and not isinstance(value, bool):
            return name, "Subscribed must be true or false"
        if name != "subscribed" and value is not None and not isinstance(value, str):
            return name, f"{name.replace('_', ' ').capitalize()} must be a string"
        if name == "email" and not EMAIL.match(value or ""):
            return name, "Email is invalid"
    return None


def _create(conn: Any, site_id: int, attributes: dict[str, Any], now: str) -> int:
    """A new contact of the site; not subscribed unless `subscribed: true` is given."""
    new_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM kajabi_contacts").fetchone()[0]
    subscribed = attributes.get("subscribed") is True
    values = {k: v for k, v in attributes.items() if k != "subscribed"}
    values |= {"id": new_id, "site_id": site_id, "subscribed": int(subscribed)}
    values |= {"ever_subscribed": int(subscribed), "created_at": now, "updated_at": now}
    if subscribed:
        values["subscribed_at"] = now
    names = ", ".join(values)
    conn.execute(
        f"INSERT INTO kajabi_contacts ({names}) VALUES ({', '.join('?' * len(values))})",
        list(values.values()),
    )
    return int(new_id)


def _patch(conn: Any, contact_id: int, attributes: dict[str, Any], now: str) -> None:
    row = conn.execute("SELECT subscribed FROM kajabi_contacts WHERE id = ?", (contact_id,))
    was = bool(row.fetchone()[0])
    changes = {k: v for k, v in attributes.items() if k != "subscribed"}
    wanted = attributes.get("subscribed")
    if wanted is not None and wanted != was:
        changes["subscribed"] = int(wanted)
        changes["unsubscribed_at" if was else "subscribed_at"] = now
        if wanted:
            changes["ever_subscribed"] = 1
    changes["updated_at"] = now
    assignments = ", ".join(f"{name} = ?" for name in changes)
    conn.execute(
        f"UPDATE kajabi_contacts SET {assignments} WHERE id = ?", [*changes.values(), contact_id]
    )


def _delete(conn: Any, contact_id: int) -> bool:
    row = conn.execute("SELECT active_payments FROM kajabi_contacts WHERE id = ?", (contact_id,))
    if row.fetchone()[0]:
        return False
    conn.execute("DELETE FROM kajabi_contacts WHERE id = ?", (contact_id,))
    return True
