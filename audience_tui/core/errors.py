"""Typed failures: every way a platform call can go wrong, in words a user can act on.

Messages name the platform and the request (method and path, never the query string, which may
carry an email, nor any header) and are passed through `redact` before they are built, so a
secret can never reach the screen, a log or the audit file through an error; every error's text
is also cleaned of control characters (core.sanitize), as it may quote a server's answer.
"""

from __future__ import annotations

from collections.abc import Iterable

from .sanitize import clean


class AudienceError(Exception):
    """Base of every error the core raises; `exit_code` is the CLI's documented code."""

    exit_code = 1
    kind = "error"

    def __init__(self, message: str, *, platform: str = "", request: str = "") -> None:
        # What reaches the user's terminal, the log or the audit file: server error bodies and
        # member data in a message must not carry escape sequences there (core.sanitize).
        message, platform, request = clean(message), clean(platform), clean(request)
        self.platform = platform
        self.request = request
        self.detail = message
        named = bool(platform) and message.startswith(platform.split()[0] + " ")
        # "Emma lists members in its own order" names its platform already: no "Emma: " before
        prefix = ": ".join(p for p in (platform, request) if p and not (named and p == platform))
        super().__init__(f"{prefix}: {message}" if prefix else message)


class AuthError(AudienceError):
    exit_code = 3
    kind = "auth"


class ForbiddenError(AudienceError):
    exit_code = 3
    kind = "forbidden"


class NotFoundError(AudienceError):
    exit_code = 5
    kind = "not found"


class RateLimitedError(AudienceError):
    exit_code = 4
    kind = "rate limited"

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: str) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class NetworkError(AudienceError):
    exit_code = 4
    kind = "network"


class ServerError(NetworkError):
    """The platform answered 5xx: its fault, possibly passing."""

    kind = "server"


class InvalidResponseError(AudienceError):
    exit_code = 4
    kind = "invalid response"

    @classmethod
    def unexpected(cls, what: str, *, platform: str, request: str) -> InvalidResponseError:
        """An answer of the wrong shape (`what` says how), in the words every adapter uses."""
        return cls(f"unexpected answer: {what}", platform=platform, request=request)


class PagingError(InvalidResponseError):
    """The platform's pages do not add up (a total it never reaches, a cursor that does not
    move, the same page again): the walk stops and says what the platform did."""

    kind = "paging"


class ValidationError(AudienceError):
    """The request was refused as invalid, or the user's input was (before anything was sent)."""

    exit_code = 2
    kind = "validation"


class UnsupportedError(AudienceError):
    """The platform has no way to do this; the message says what it offers instead."""

    exit_code = 2
    kind = "unsupported"


class ConfigError(AudienceError):
    exit_code = 2
    kind = "configuration"


def exit_code_of(errors: Iterable[AudienceError]) -> int:
    """The CLI's exit code when these failures left the work incomplete (an account that could
    not be searched, an opt-out not done): 3 when credentials were refused anywhere (the user
    must act on those), else 4, whatever each failure's own code (never 5: "not found" would
    read as "nothing to do")."""
    if any(error.exit_code == AuthError.exit_code for error in errors):
        return AuthError.exit_code
    return NetworkError.exit_code
