"""The form that adds an account: platform, name, optional host, then that platform's credentials.

It asks for exactly the credentials the platform's adapter declares, masks the secret ones, and
checks everything with the same rules as `audience-tui accounts add` (core.accounts.problems),
showing each message under its field. It does not save: it hands (account, secrets) back to the
screen that opened it, which verifies and saves.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from ...core.accounts import credential_specs, prepare, problems
from ...core.models import Account
from ...core.platforms import NAMES, adapter_class
from ...core.platforms import title as platform_title
from ..styled_once import StyledOnce
from ..widgets.chooser import Chooser

FormResult = tuple[Account, dict[str, str]] | None


def _field(key: str, label: str, field: Widget) -> list[Widget]:
    """A label, its one-line field, and under it the line where its problem is shown."""
    field.compact = True  # type: ignore[attr-defined]  # Input and Select both have it
    field.add_class("field")
    return [
        Label(Text(label), classes="field-label"),
        field,
        Static("", id=f"error-{key}", classes="field-error"),
    ]


class AccountFormScreen(StyledOnce, ModalScreen[FormResult]):
    HELP = (
        "Add an account: pick the platform, name the account, and fill in what the platform asks "
        "for. Secrets are masked and go to the keyring when the account is saved. Leave the base "
        "URL empty for the platform's own host. `enter` or Add checks the form; `escape` cancels."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="account_form.cancel")
    ]
    AUTO_FOCUS = "#field-name"
    DEFAULT_CSS = """
    AccountFormScreen { align: center middle; }
    AccountFormScreen #dialog {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    AccountFormScreen #heading { text-style: bold; }
    AccountFormScreen #credentials { height: auto; }
    AccountFormScreen .field-label { margin-top: 1; }
    AccountFormScreen .field { width: 1fr; }
    AccountFormScreen Input.field, AccountFormScreen Select.field > SelectCurrent {
        background: $panel;  /* $boost vanished on the light theme's surface */
    }
    AccountFormScreen Input.field:focus, AccountFormScreen Select.field:focus > SelectCurrent {
        background: $block-cursor-blurred-background;
    }
    AccountFormScreen .field-error { color: $error; height: auto; display: none; }
    AccountFormScreen #buttons { height: auto; margin-top: 1; align-horizontal: right; }
    AccountFormScreen #buttons Button { margin-left: 1; }
    """

    def __init__(
        self,
        existing: Collection[str] = (),
        platform: str | None = None,
        *,
        draft: tuple[Account, dict[str, str]] | None = None,
        problem: str = "",
    ) -> None:
        """`existing`: names already taken; `platform`: the one preselected; `draft`: what was
        filled in before, back with the `problem` its check met (nothing to type again)."""
        super().__init__()
        self.existing = frozenset(existing)
        self.draft = draft
        self.problem = problem
        self.initial_platform = draft[0].platform if draft else platform or NAMES[0]
        self.fields_of = self.initial_platform  # the platform whose credentials are asked

    def compose(self) -> ComposeResult:
        options = [(platform_title(p), p) for p in NAMES]
        # It scrolls to what has the focus; not a stop of its own (as the builder's dialog).
        with VerticalScroll(id="dialog", can_focus=False):
            yield Label(Text("Add an account"), id="heading")
            yield Static("", id="error-check", classes="field-error")  # a draft's failed check
            yield from _field(
                "platform",
                "Platform",
                Chooser(options, value=self.initial_platform, allow_blank=False, id="platform"),
            )
            yield from _field("name", "Name", Input(placeholder="e.g. shop-oslo", id="field-name"))
            yield from _field("base_url", "Base URL (optional)", Input(id="field-base_url"))
            yield Vertical(*self._credential_fields(self.initial_platform), id="credentials")
            yield Static("", id="error-form", classes="field-error")
            with Horizontal(id="buttons"):
                yield Button("Add", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self._show_default_host(self.initial_platform)
        if self.draft is not None:
            account, secrets = self.draft
            values = {"name": account.name, "base_url": account.base_url or ""}
            for key, value in {**values, **account.settings, **secrets}.items():
                for field in self.query(f"#field-{key}").results(Input):
                    field.value = str(value)
            self._show({"check": self.problem})

    @property
    def platform(self) -> str:
        return str(self.query_one("#platform", Select).value)

    def _credential_fields(self, platform: str) -> list[Widget]:
        widgets: list[Widget] = []
        for spec in credential_specs(platform):
            field = Input(password=spec.secret, id=f"field-{spec.key}", classes="credential")
            widgets += _field(spec.key, spec.label, field)
        return widgets

    def _show_default_host(self, platform: str) -> None:
        host = adapter_class(platform).default_base_url
        self.query_one("#field-base_url", Input).placeholder = f"default: {host}"

    @on(Select.Changed, "#platform")
    async def _platform_changed(self, event: Select.Changed) -> None:
        """That platform's credential fields, unless they are the ones shown (the chooser says
        it changed when it is mounted too, which emptied the fields of a draft)."""
        if self.platform == self.fields_of:
            return
        self.fields_of = self.platform
        credentials = self.query_one("#credentials", Vertical)
        await credentials.remove_children()
        await credentials.mount_all(self._credential_fields(self.platform))
        self._show_default_host(self.platform)
        self._show({})

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#save")
    @on(Input.Submitted)
    def submit(self) -> None:
        """Check the form; hand back (account, secrets) or show each problem under its field."""
        settings: dict[str, str] = {}
        secrets: dict[str, str] = {}
        for spec in credential_specs(self.platform):
            value = self.query_one(f"#field-{spec.key}", Input).value
            (secrets if spec.secret else settings)[spec.key] = value
        account, secrets = prepare(
            Account(
                name=self.query_one("#field-name", Input).value,
                platform=self.platform,
                base_url=self.query_one("#field-base_url", Input).value,
                settings=settings,
            ),
            secrets,
        )
        found = problems(account, secrets, self.existing)
        if found:
            self._show(found)
            return
        self.dismiss((account, secrets))

    def _show(self, found: dict[str, str]) -> None:
        """Each problem under its field (as plain text: it may quote what the user typed)."""
        placed = {(line.id or "").removeprefix("error-") for line in self.query(".field-error")}
        found = {**found, "form": "; ".join(m for k, m in found.items() if k not in placed)}
        for line in self.query(".field-error").results(Static):
            message = found.get((line.id or "").removeprefix("error-"), "")
            line.update(Text(message))
            line.display = bool(message)
        for key in found:
            inputs = self.query(f"#field-{key}")
            if inputs:
                inputs.first().focus()
                break
