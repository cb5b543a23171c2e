"""The Heyloyalty sandbox checks signatures from the dossier, not with the client's code: headers
here are built by hand from the dossier's recipe and test vector."""

from __future__ import annotations

import base64
import hashlib
import hmac

import httpx
import pytest

from audience_tui.demo import Sandbox
from audience_tui.sandbox.heyloyalty.auth import expected_signature, timestamp_accepted
from audience_tui.sandbox.heyloyalty.routes import DEMO_SECRETS, PREFIX

# providers/heyloyalty.md: secret API_SECRET, the RFC-1123 timestamp -> this signature.
VECTOR_TS = "Fri, 24 May 2013 13:16:26 GMT"
VECTOR_SIG = (
    "MjgwYTMxNTM2NjkwMzRmMTM0NTUyZWRkOTNkMzVhNmQ2OGZlNGFjM2MwNzg1ZGQ3MmU0YzdiNGRmODJiNjI3Mg=="
)


def signed(timestamp: str, secret: str = DEMO_SECRETS["api_secret"]) -> dict[str, str]:
    hex_text = hmac.new(secret.encode(), timestamp.encode(), hashlib.sha256).hexdigest()
    sig = base64.b64encode(hex_text.encode()).decode()
    pair = base64.b64encode(f"{DEMO_SECRETS['api_key']}:{sig}".encode()).decode()
    return {"X-Request-Timestamp": timestamp, "Authorization": f"Basic {pair}"}


def test_the_dossier_test_vector() -> None:
    assert expected_signature("API_SECRET", VECTOR_TS).decode() == VECTOR_SIG


@pytest.mark.parametrize(
    ("timestamp", "accepted"),
    [
        (VECTOR_TS, True),
        ("2024-01-01T12:00:00.000Z", True),  # the Node and NaviPartner clients
        ("2024-01-01T12:00:00+01:00", True),
        ("2024-01-01 12:00:00", False),  # no zone
        ("yesterday", False),
        ("", False),
    ],
)
def test_timestamp_formats(timestamp: str, accepted: bool) -> None:
    assert timestamp_accepted(timestamp) is accepted


@pytest.mark.parametrize("timestamp", [VECTOR_TS, "2024-01-01T12:00:00.000Z"])
async def test_hand_signed_requests_pass(sandbox: Sandbox, timestamp: str) -> None:
    async with httpx.AsyncClient(transport=sandbox.transport, base_url="http://s.invalid") as c:
        answer = await c.get(f"{PREFIX}/loyalty/v1/lists", headers=signed(timestamp))
    assert answer.status_code == 200 and isinstance(answer.json(), list)


async def test_bad_timestamp_or_secret_is_refused(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(transport=sandbox.transport, base_url="http://s.invalid") as c:
        for headers in (signed("not a date"), signed(VECTOR_TS, secret="wrong")):
            answer = await c.get(f"{PREFIX}/loyalty/v1/lists", headers=headers)
            assert answer.status_code == 401
            assert answer.json() == {"message": "Unauthorized", "code": 401}
