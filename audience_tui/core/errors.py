"""Typed failures: every way a platform call can go wrong, in words a user can act on.

Messages name the platform and the request (method and path, never the query string, which may
carry an email, nor any header) and are passed through `redact` before they are built, so a
secret can never reach the screen, a log or the audit file through an error.
"""

from __future__ import annotations


class AudienceError(Exception):
    """Base of every error the core raises; `exit_code` is the CLI's documented code."""

    exit_code = 1
    kind = "error"

    def __init__(self, message: str, *, platform: str = "", request: str = "") -> None:
        self.platform = platform
        self.request = request
        self.detail = message
        prefix = ": ".join(p for p in (platform, request) if p)
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
