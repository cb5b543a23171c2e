"""What an adapter's erase does and what its read-back proved (GDPR Art. 17, "forget me").

Each platform erases in its own documented way (Emma purges, Heyloyalty obscures, Kajabi and
Ownpage delete, Placewise deletes the member); where the documents leave the request itself to a
guess, `EraseMethod.assumed` says what is guessed, and the dry run shows it before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EraseScope = Literal["account", "list"]  # what one erase removes: the person's account-wide
# record (Emma: one member in every group) or one membership of one list


@dataclass(frozen=True, slots=True)
class EraseMethod:
    request: str  # "DELETE /v1/contacts/{id}"
    effect: str  # what the platform does, in words a DPO can file
    scope: EraseScope
    assumed: str = ""  # what is not in the platform's documents; empty when all of it is

    @property
    def documented(self) -> bool:
        return not self.assumed


@dataclass(frozen=True, slots=True)
class Erasure:
    """The read-back after an erase: the person is gone, or what is left holds nothing of them."""

    state: Literal["absent", "anonymised"]
    evidence: str  # the read that proves it, e.g. "GET /v1/contacts/42 answered 404"
