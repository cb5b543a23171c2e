"""How long a request may take: read by the settings before the first frame, used by the HTTP
client (core.http, with httpx) only once the first adapter is made."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Timeouts:
    connect: float = 5.0
    read: float = 30.0
