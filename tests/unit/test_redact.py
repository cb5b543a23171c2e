"""Redaction of what a server may echo back: HTTP Basic blobs, secrets holding quotes, quoted
values cut short by an escaped quote; and over real loopback HTTP, a server that echoes the
request into its error body."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from audience_tui.core import redact as redact_module
from audience_tui.core.errors import AudienceError
from audience_tui.core.models import Account
from audience_tui.core.platforms import create
from audience_tui.core.redact import MASK, redact, register_secret

PUBLIC, PRIVATE = "pub-4f2a9c", 'pri"vate-key-tail'


def blob(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "echo",
    [
        '{"headers": [["authorization", "Basic {b}"]]}',
        "[('Authorization', 'Basic {b}')]",
        "credential={b}",
        "auth {b} then",
    ],
)
def test_the_base64_of_a_registered_secret_is_masked(echo: str) -> None:
    register_secret(PRIVATE)
    text = redact(echo.replace("{b}", blob(f"{PUBLIC}:{PRIVATE}")))
    assert blob(f"{PUBLIC}:{PRIVATE}") not in text and MASK in text


def test_any_basic_credential_is_masked_and_basic_words_are_not() -> None:
    assert redact(f"sent Basic {blob('someone:else')} x") == f"sent Basic {MASK} x"
    assert redact("Basic membership costs less") == "Basic membership costs less"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ('{"password": "ab\\"cd"} tail', '{"password": "***"} tail'),
        ("password='ab\\'cd' tail", "password='***' tail"),
        ('client_secret="never closed, to the end', 'client_secret="***'),
        ('{\\"client_secret\\": \\"x\\\\\\"yz\\"} tail', '{\\"client_secret\\": \\"***\\"} tail'),
        ("Authorization: Bearer abc.def tail", "Authorization: Bearer *** tail"),
        ("password=hunter2&next=1", "password=***&next=1"),
    ],
)
def test_a_quoted_value_is_masked_to_its_closing_quote(text: str, masked: str) -> None:
    assert redact(text) == masked


def test_a_registered_secret_is_masked_as_json_and_urls_carry_it() -> None:
    register_secret('se"cr\\et-9')
    for echoed in (json.dumps({"k": 'se"cr\\et-9'}), "k=se%22cr%5Cet-9", 'se"cr\\et-9'):
        assert "cr" not in redact(echoed).replace("k", ""), echoed


@pytest.fixture
async def echo_server() -> AsyncIterator[str]:
    """A server on loopback that answers 400 with the whole request in its error message."""

    async def echo(request: web.Request) -> web.Response:
        dump = f"{request.method} {request.path_qs} {list(request.headers.items())} "
        dump += await request.text()
        return web.json_response({"error": dump}, status=400)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_an_echoing_server_leaks_no_credential(echo_server: str) -> None:
    settings = {"account_id": "1234"}
    account = Account("echo", "emma", base_url=echo_server, settings=settings)
    provider = create(account, {"public_key": PUBLIC, "private_key": PRIVATE})
    try:
        with pytest.raises(AudienceError) as failed:
            await provider.lookup("someone@example.com")
    finally:
        await provider.aclose()
    message = redact(str(failed.value))
    assert "Authorization" in message or "authorization" in message  # the echo did come back
    for leaked in (PRIVATE, "vate-key-tail", blob(f"{PUBLIC}:{PRIVATE}")):
        assert leaked not in message


@settings(max_examples=200, deadline=None)
@given(
    user=st.text(max_size=20),
    secret=st.text(min_size=6, max_size=40).filter(lambda s: len(s.encode()) >= 6),
    urlsafe=st.booleans(),
)
def test_a_blob_holding_a_registered_secret_is_masked_at_any_alignment(
    user: str, secret: str, urlsafe: bool
) -> None:
    """Found by the base64 of the secret alone at each alignment: no blob is decoded."""
    with only_for_this_example():  # arbitrary secrets would mask other tests' words
        register_secret(secret)
        encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
        blob = encode(f"{user}:{secret}".encode("utf-8", "surrogatepass")).decode()
        assert blob not in redact(f"echo {blob} end")


@contextmanager
def only_for_this_example() -> Iterator[None]:
    """Secrets registered inside are forgotten after (the registry is per process)."""
    kept = set(redact_module._secrets), set(redact_module._fragments)
    try:
        yield
    finally:
        redact_module._secrets.clear()
        redact_module._secrets.update(kept[0])
        redact_module._fragments.clear()
        redact_module._fragments.update(kept[1])
