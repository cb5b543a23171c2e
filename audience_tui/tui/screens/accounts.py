"""The first screen: every account with its platform and whether it answers right now.

Each account is checked in the background (one cheap call), so a slow or broken platform never
holds up the others. `/` here looks a person up in every account at once.
"""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Label

from ...core.errors import (
    AudienceError,
    AuthError,
    ConfigError,
    ForbiddenError,
    NetworkError,
    RateLimitedError,
)
from ...core.models import Account
from ...core.session import Session
from ..actions import bound_keys
from ..background import BackgroundWork
from ..styled_once import StyledOnce
from ..widgets.cells import error_text, platform_title, text
from ..widgets.data_table import DataTable, RowsOpened
from ..widgets.footer import Footer
from ..widgets.header import Header
from .confirm import ConfirmScreen
from .lists import ListsScreen

CHECKING = Text("checking…", style="dim")


def status_of(error: BaseException | None) -> Text:
    """ok / auth failed / unreachable / not set up / error, for the status column."""
    if error is None:
        return Text("✓ ok", style="green")
    if isinstance(error, AuthError | ForbiddenError):
        return Text("✗ auth failed", style="red")
    if isinstance(error, NetworkError | RateLimitedError):
        return Text("✗ unreachable", style="red")
    if isinstance(error, ConfigError):
        return Text("✗ not set up", style="red")
    return Text("✗ error", style="red")


class AccountsScreen(StyledOnce, BackgroundWork, Screen[None]):
    TITLE = "Accounts"
    HELP = (
        "Your accounts on Placewise MPC, Ownpage, Kajabi, Emma and Heyloyalty, each checked in "
        "the background. `enter` opens an account's lists. `/` looks an email up in **every** "
        "account at once and shows where the person is and their status there. `i` opens the "
        "account's import monitor. `p` probes the account: read-only checks of what the app "
        "assumes where the platform's documents are silent. `x` opens the Compliance jobs: a "
        "suppression list, erasure, subject access and consent drift across every account."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open lists", id="accounts.open"),
        Binding("a", "add", "Add account", id="accounts.add"),
        Binding("t", "test", "Test connection", id="accounts.test"),
        Binding("d,delete", "remove", "Remove account", id="accounts.remove"),
        Binding("i", "imports", "Imports", id="accounts.imports"),
        Binding("p", "probe", "Probe assumptions", id="accounts.probe", show=False),
        Binding("x", "compliance", "Compliance jobs", id="accounts.compliance", show=False),
    ]
    account_name = None  # `/` here looks in every account

    def __init__(self, session: Session, hint: str | None = None) -> None:
        super().__init__()
        self.session = session
        self.hint = hint
        self.errors: dict[str, BaseException | None] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(Text(self.hint or "", style="italic"), id="hint")
        yield RowsOpened(id="accounts", cursor_type="row", zebra_stripes=True)
        yield Label(id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#hint").display = bool(self.hint)
        table = self.query_one("#accounts", DataTable)
        table.add_column("Account", key="account")
        table.add_column("Platform", key="platform")
        table.add_column("Kind", key="kind")
        table.add_column("Status", key="status")
        for account in self.session.accounts:
            self._add_row(account, check=False)
        table.focus()
        self._check_all()

    def _add_row(self, account: Account, *, check: bool = True) -> None:
        table = self.query_one("#accounts", DataTable)
        table.add_row(
            text(account.name),
            text(platform_title(account.platform)),
            Text("demo" if account.demo else "configured", style="dim"),
            CHECKING,
            key=account.name,
        )
        if check:
            self._check(account.name)

    @work(group="check-all")
    async def _check_all(self) -> None:
        """Every account checked once the list is on screen: creating the adapters (their HTTP
        clients, the sandbox's first requests) would otherwise hold back the first frame."""
        await self.wait_for_refresh()
        for account in self.session.accounts:
            self._check(account.name)

    # --- status -------------------------------------------------------------------------------
    def _check(self, name: str, *, report: bool = False) -> None:
        """Check the account in the background; `report`: say the outcome (on `t`), as a check
        that answers at once changes nothing on screen."""
        self.errors.pop(name, None)
        self.query_one("#accounts", DataTable).update_cell(name, "status", CHECKING)
        self.run_worker(self._verify(name, report), group=f"check:{name}", exclusive=True)

    async def _verify(self, name: str, report: bool = False) -> None:
        error: BaseException | None = None
        started = time.monotonic()
        try:
            await self.session.provider(name).verify()
        except Exception as exc:  # any failure is this account's status, never the screen's
            error = exc
        self.errors[name] = error
        self.query_one("#accounts", DataTable).update_cell(name, "status", status_of(error))
        self._describe()
        if report and error is None:
            took = (time.monotonic() - started) * 1000
            self.notify(f"{name} answers ({took:,.0f} ms).", title="Connection", markup=False)
        elif report and error is not None:
            message = f"{name}: {error_text(error).plain}"
            self.notify(message, title="Connection", severity="error", markup=False)

    @on(DataTable.RowHighlighted, "#accounts")
    def _describe(self) -> None:
        name = self.selected()
        detail = self.query_one("#detail", Label)
        if name is None:
            detail.update(Text("No accounts: press a to add one.", style="yellow"))
        elif (error := self.errors.get(name)) is not None:
            detail.update(text(name, "bold").append(": ").append_text(error_text(error)))
        else:
            detail.update(Text.assemble(*self._hints(name)))

    def _hints(self, name: str) -> list[str | Text]:
        """What the selected account's line offers, with the keys as bound now: `p` and `x`
        are not in the footer (which is full at 120 columns), so this is where they are seen."""
        hints: list[tuple[str, str | Text]] = [
            ("accounts.open", Text("lists of ").append_text(text(name, "bold"))),
            ("app.lookup", "look up an email in every account"),
            ("accounts.probe", "probe its assumptions"),
            ("accounts.compliance", "compliance jobs"),
        ]
        bound = bound_keys(self)  # once: each lookup walks the screen's active bindings
        parts: list[str | Text] = []
        for binding_id, what in hints:
            if keys := bound.get(binding_id):
                parts += ["   " if parts else "", f"{keys}: ", what]
        return parts

    def selected(self) -> str | None:
        table = self.query_one("#accounts", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    # --- actions ------------------------------------------------------------------------------
    def action_open(self) -> None:
        name = self.selected()
        if name is not None:
            self.app.push_screen(ListsScreen(self.session, name))

    @on(DataTable.RowSelected, "#accounts")
    def _clicked(self) -> None:
        self.action_open()

    def action_imports(self) -> None:
        from .imports import ImportsScreen  # on first use: not needed to start

        name = self.selected()
        if name is not None:
            self.app.push_screen(ImportsScreen(self.session, name))

    def action_probe(self) -> None:
        from .probe import ProbeScreen  # on first use: not needed to start

        name = self.selected()
        if name is not None:
            self.app.push_screen(ProbeScreen(self.session, name))

    def action_compliance(self) -> None:
        from .compliance import ComplianceScreen  # on first use: not needed to start

        self.app.push_screen(ComplianceScreen(self.session))

    def action_test(self) -> None:
        name = self.selected()
        if name is not None:
            self._check(name, report=True)

    def action_remove(self) -> None:
        name = self.selected()
        if name is None:
            return
        account = self.session.account(name)
        if account.demo:
            # said as a notice, which goes by itself: on the line under the table it stayed
            # after dialogs came and went, in place of the account's own description
            self.notify("Demo accounts are built in and cannot be removed.", severity="warning")
            return
        question = Text("Remove the account ").append_text(text(name, "bold"))
        question.append(f" ({platform_title(account.platform)}) and its stored secrets?")
        self.app.push_screen(
            ConfirmScreen(question, "Remove"), lambda yes: self._remove(account) if yes else None
        )

    def _remove(self, account: Account) -> None:
        from ...core.accounts import AccountStore

        try:
            AccountStore().remove(account.name)
        except AudienceError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.session.accounts.remove(account)
        self.query_one("#accounts", DataTable).remove_row(account.name)
        self.notify(f"Removed {account.name}.", markup=False)
        self._describe()

    def action_add(self) -> None:
        from .account_form import AccountFormScreen

        existing = [account.name for account in self.session.accounts]
        self.app.push_screen(AccountFormScreen(existing), self._added)

    def _added(self, result: tuple[Account, dict[str, str]] | None) -> None:
        if result is not None:
            self._verify_and_save(*result)

    @work(group="verify-new")
    async def _verify_and_save(self, account: Account, secrets: dict[str, str]) -> None:
        """Check the credentials with one cheap real call, and save only when they work (as
        `accounts add` does), so a typo never lands in the accounts file or the keyring."""
        from ...core.accounts import AccountStore

        self.notify(f"Checking {account.name}…", markup=False)
        try:
            await self.session.check(account, secrets)
        except Exception as exc:  # nothing saved: the form comes back as filled in, to correct
            from .account_form import AccountFormScreen

            problem = f"{error_text(exc).plain}; nothing was saved. Correct it and Add again."
            existing = [known.name for known in self.session.accounts]
            form = AccountFormScreen(existing, draft=(account, secrets), problem=problem)
            self.app.push_screen(form, self._added)
            return
        try:
            where = AccountStore().add(account, secrets)
        except AudienceError as exc:
            self.notify(str(exc), severity="error", markup=False, timeout=10)
            return
        self.notify(f"{account.name} answers: saved; its secrets are in {where}.", markup=False)
        if any(existing.demo for existing in self.session.accounts):
            # The demo session talks to the sandbox only: the account is for the next start.
            self.notify(
                f"{account.name} is used when you start audience-tui without --demo.",
                markup=False,
            )
            return
        self.session.accounts.append(account)
        self._add_row(account)
