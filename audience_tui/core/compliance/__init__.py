"""Compliance jobs across every account at once: suppression lists, erasure, subject access and
consent drift. No Textual here: the CLI (commands/compliance.py) and the TUI's Compliance screen
both drive these modules and show their progress."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, Self, TypeVar

from ..errors import AudienceError, AuthError
from ..models import Member
from ..session import Session, check_email
from .lists import ListNames

# an account and the error of a write to it that did not land: the receipt keeps the error's text,
# its kind sets the exit code and names the account whose credentials were refused
WriteError = tuple[str, AudienceError]


def refused(errors: Iterable[WriteError]) -> dict[str, AudienceError]:
    """The accounts among `errors` that refused the credentials, each with its first such error
    (exit code 3, as core.errors.exit_code_of reads them): running again cannot help until the
    user fixes those, so they are named."""
    found: dict[str, AudienceError] = {}
    for account, error in errors:
        if error.exit_code == AuthError.exit_code:
            found.setdefault(account, error)
    return found


class OnAccount(Protocol):
    @property
    def account(self) -> str: ...


H = TypeVar("H", bound=OnAccount)


@dataclass(kw_only=True)
class Search(Generic[H]):
    """One person looked up on some accounts, as an erase and a subject-access report both
    start: what each account holds (`held`, the job's own records) and where the lookup failed."""

    email: str
    accounts: list[str]
    held: list[H] = field(default_factory=list)
    # account: why it could not be searched, the error itself (its kind sets the exit code; its
    # text is what the receipt, the report and the screen say)
    errors: dict[str, AudienceError] = field(default_factory=dict)
    names: ListNames = field(default_factory=ListNames)

    @classmethod
    def new(
        cls, session: Session, email: str, accounts: Sequence[str] | None, **extra: Any
    ) -> Self:
        """A search of the email (checked) on the accounts named, else on every account."""
        names = list(accounts) if accounts else [a.name for a in session.accounts]
        return cls(email=check_email(email), accounts=names, **extra)

    async def lookups(self, session: Session) -> list[tuple[str, list[Member]]]:
        """(account, its records of the email) where the lookup answered, the lists' names read
        alongside; a failed lookup goes to `errors`."""
        self.names = await ListNames.read(session, self.accounts)
        answered = []
        for found in await session.lookup(self.email, self.accounts):
            if found.error is not None:
                self.errors[found.account.name] = found.error
            else:
                answered.append((found.account.name, found.members))
        return answered

    @property
    def not_found(self) -> list[str]:
        """The accounts searched that hold nothing on the person: neither among those holding a
        record nor among those whose lookup failed (those are not known to hold nothing)."""
        holding = {h.account for h in self.held}
        return [a for a in self.accounts if a not in holding and a not in self.errors]
