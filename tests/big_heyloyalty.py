"""The big Heyloyalty list as the sandbox builds it, at a size a test can afford: TOTAL members,
the first EXACT made in Python (people.person), the rest drawn in SQL as at a million."""

from __future__ import annotations

TOTAL, EXACT = 120, 20
MEMBERS = "/loyalty/v1/lists/{}/members"
