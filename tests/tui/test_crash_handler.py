"""The app's last word when an error escapes a screen: an error the app knows (network,
credentials, a rate limit, a platform's answer) is said as the CLI says it, with the CLI's exit
code and no crash report; only a defect writes one."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tui_helpers import record_last_words

from audience_tui.core.crash import crash_dir
from audience_tui.core.errors import (
    AuthError,
    InvalidResponseError,
    NetworkError,
    RateLimitedError,
)
from audience_tui.core.session import Session
from audience_tui.tui.app import AudienceApp

KNOWN = [
    (NetworkError("the platform did not answer", platform="Emma"), 4),
    (AuthError("the API key was refused", platform="Kajabi", request="GET /v1/contacts"), 3),
    (RateLimitedError("too many requests", platform="Placewise", retry_after=3.0), 4),
    (InvalidResponseError("the answer is not JSON", platform="Ownpage"), 4),
]


async def last_word(session: Session, fail: Callable[[AudienceApp], None]) -> tuple[str, int]:
    """What the app prints as it ends after `fail` raised in it, and its exit code."""
    app = AudienceApp(session)
    shown = record_last_words(app)
    with pytest.raises(Exception):  # noqa: B017 (run_test re-raises what ended the app)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            fail(app)
            await pilot.pause()
    return "".join(shown).strip(), app.return_code or 0


def in_a_worker(error: Exception) -> Callable[[AudienceApp], None]:
    async def work() -> None:
        raise error

    return lambda app: app.screen.run_worker(work())


def in_a_handler(error: Exception) -> Callable[[AudienceApp], None]:
    def handler() -> None:
        raise error

    return lambda app: app.call_later(handler)


@pytest.mark.parametrize("where", [in_a_worker, in_a_handler])
@pytest.mark.parametrize(("error", "code"), KNOWN, ids=lambda v: type(v).__name__)
async def test_a_known_error_reads_as_in_the_cli_without_a_crash_report(
    session: Session, error: Exception, code: int, where: Callable
) -> None:
    said, exit_code = await last_word(session, where(error))
    assert said == f"error: {error}"
    assert exit_code == code
    assert not crash_dir().exists()


@pytest.mark.parametrize("where", [in_a_worker, in_a_handler])
async def test_a_defect_still_gets_its_crash_report(session: Session, where: Callable) -> None:
    said, exit_code = await last_word(session, where(KeyError("no such column")))
    assert said.startswith("error: unexpected error (KeyError): 'no such column'; details in ")
    assert exit_code == 1
    assert len(list(crash_dir().iterdir())) == 1
