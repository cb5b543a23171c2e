"""`f` on the member table: build a filter of conditions (field, operator, value) joined by
and/or, see which part the platform evaluates and which the app checks page by page, and save
filters by name per list.

Fields, operators and values come from the list's FieldSpecs: each field offers the operators of
its type, marked by who evaluates them; choice options are offered by label; a value is checked
with core.filters.coerce as it is added, so a bad number or date is a message here, never a
request. Field labels and options are platform data: they are shown as Text only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, SelectionList

from ...core.errors import AudienceError
from ...core.filters import FilterPlan, coerce, describe, plan, plan_note
from ...core.models import (
    LIST_OPERATORS,
    OPERATOR_LABELS,
    OPERATORS,
    UNARY_OPERATORS,
    Audience,
    Condition,
    FieldSpec,
    FieldType,
    Filter,
)
from ...core.provider import Provider
from ...core.sanitize import clean
from ...core.saved_filters import SavedFilters
from ..styled_once import StyledOnce
from ..widgets.chooser import Chooser
from ..widgets.saved_filters import SavedFilterBar
from .confirm import ConfirmScreen

PLACEHOLDERS = {
    FieldType.NUMBER: "a number, e.g. 42",
    FieldType.DATE: "a date, YYYY-MM-DD",
    FieldType.TEXT: "text",
}
PLATFORM, APP = "platform", "app checks"


def server_side(provider: Provider, condition: Condition, spec: FieldSpec) -> bool:
    """Whether the platform evaluates this one condition itself."""
    return condition.op in spec.server_operators and provider.accepts(condition, spec)


def plan_of(provider: Provider, filter: Filter, fields: Sequence[FieldSpec]) -> FilterPlan:
    return plan(filter, fields, provider.capabilities.filter_logic, provider.accepts)


class FilterBuilder(StyledOnce, ModalScreen[Filter | None]):
    """Dismisses with the filter to apply (empty: no filter), or None when cancelled."""

    TITLE = "Filter"
    AUTO_FOCUS = "#conditions"  # keys work there (? a w); tab goes on to the editor
    HELP = (
        "Build the filter of the list. Choose a field, an operator and a value, then **Add** "
        "(or `enter` in the value). Operators marked *platform* are evaluated by the platform; "
        "those marked *app checks* are checked by the app page by page, and the table then "
        "shows the matches as the scan finds them. `enter` on a condition edits it, `delete` "
        "removes it. **Match** joins the conditions with *all* (and) or *any* (or). **Apply** "
        "(`a`) shows the filtered table; an empty filter shows every member. Filters are saved "
        "by name for this list (`w` or **Save**) and reopened or deleted from the saved list. "
        "The letter keys act outside text fields (after Add, the focus is on the conditions). "
        "Cancel (`escape`) asks first when the conditions were changed and not applied."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="filter.cancel"),
        Binding("a", "apply", "Apply filter", id="filter.apply"),
        Binding("w", "save", "Save filter", id="filter.save"),
        Binding("delete", "remove", "Remove condition", id="filter.remove"),
    ]
    DEFAULT_CSS = """
    FilterBuilder #dialog { height: auto; scrollbar-size-vertical: 1; }
    FilterBuilder .row { height: auto; margin-top: 1; }
    FilterBuilder #field { width: 1fr; max-width: 30; }
    FilterBuilder #op { width: 1fr; max-width: 32; margin-left: 1; }
    FilterBuilder #value-box { width: 1fr; height: auto; margin-left: 1; }
    FilterBuilder Input { height: 1; border: none; padding: 0 1; background: $boost; }
    FilterBuilder #text { width: 1fr; }
    FilterBuilder #choice { width: 1fr; }
    FilterBuilder #multi { width: 1fr; max-height: 6; }
    FilterBuilder #message, FilterBuilder #where, FilterBuilder #plan { width: 100%; }
    FilterBuilder #message { color: $text-error; }
    FilterBuilder Button { width: auto; min-width: 10; margin-right: 2; }
    FilterBuilder #logic { width: 1fr; max-width: 30; }
    FilterBuilder .label { padding: 0 1 0 2; }
    FilterBuilder Select:focus > SelectCurrent {
        background: $block-cursor-background; color: $block-cursor-foreground;
    }
    FilterBuilder Input:focus { background: $block-cursor-blurred-background; }
    FilterBuilder Button:focus { text-style: bold reverse; }
    """
    SHORT = 30  # terminal rows below which the conditions list is kept to three lines

    def __init__(
        self,
        provider: Provider,
        account_name: str,
        audience: Audience,
        fields: Sequence[FieldSpec],
        current: Filter = Filter(),
        saved: SavedFilters | None = None,
    ) -> None:
        super().__init__()
        self.provider = provider
        self.account_name = account_name
        self.audience = audience
        self.fields = [spec for spec in fields if spec.operators]
        self.specs = {spec.name: spec for spec in self.fields}
        self.conditions: list[Condition] = list(current.conditions)
        self.logic = current.logic
        self.saved = saved or SavedFilters()
        self.original = current  # what Cancel goes back to without asking
        self.editing: int | None = None  # the condition being edited, if any
        self._shown: tuple[str, str] | None = None  # field and operator the editor shows

    def compose(self) -> ComposeResult:
        title = Text.assemble(
            ("Filter", "bold"),
            " · ",
            self.provider.title,
            " · ",
            (clean(self.audience.name), "bold"),
        )
        fields = [(Text(clean(spec.label)), spec.name) for spec in self.fields]
        first = self.fields[0] if self.fields else None
        ops = self._op_options(first) if first else []
        # At 80x24 it scrolls to what has the focus; not a stop of its own (focused first as the
        # builder opened, then left for the conditions, it had its 57 widgets restyled twice).
        with VerticalScroll(id="dialog", can_focus=False):
            yield Label(title, id="heading")
            yield OptionList(id="conditions")
            with Horizontal(id="editor", classes="row"):
                yield Chooser(fields, id="field", allow_blank=not fields, compact=True)
                yield Chooser(ops, id="op", allow_blank=not ops, compact=True)
                with Vertical(id="value-box"):
                    yield Input(id="text", compact=True)
                    yield Chooser([], id="choice", prompt="choose a value", compact=True)
                    yield SelectionList[str](id="multi", compact=True)
                    yield Label(Text("(no value)", style="dim"), id="none")
            yield Label(id="message")
            yield Label(id="where")
            with Horizontal(id="condition-buttons", classes="row"):
                yield Button("Add condition", id="add", variant="primary", compact=True)
                yield Button("Remove", id="remove", compact=True)
                yield Button("Clear all", id="clear", compact=True)
                yield Label("Match", classes="label")
                yield Chooser(
                    [("all conditions (and)", "and"), ("any condition (or)", "or")],
                    id="logic", value=self.logic, allow_blank=False, compact=True,
                )  # fmt: skip
            yield Label(id="plan")
            yield SavedFilterBar(
                self.saved, self.account_name, self.audience.id, lambda: self.filter
            )
            with Horizontal(id="actions", classes="row"):
                yield Button("Apply", id="apply", variant="success", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
                yield Label(
                    Text("a applies · w saves · escape cancels", style="dim"),
                    classes="label",
                )

    def on_mount(self) -> None:
        # app.tcss spaces out a dialog's inputs and lists (and wins over DEFAULT_CSS): not here
        for widget in self.query("Input, OptionList"):
            widget.styles.margin = 0
        self._fit_height()
        if self.fields:
            self._show_field(self.fields[0])
        self._refresh_conditions()

    def on_resize(self) -> None:
        self._fit_height()

    def _fit_height(self) -> None:
        """Seven lines of conditions; three on a short terminal, so the buttons stay in view."""
        self.query_one("#conditions").styles.height = 3 if self.app.size.height < self.SHORT else 7

    # --- the editor -------------------------------------------------------------------------
    @property
    def spec(self) -> FieldSpec | None:
        value = self.query_one("#field", Select).value
        return self.specs.get(value) if isinstance(value, str) else None

    @property
    def op(self) -> str | None:
        value = self.query_one("#op", Select).value
        return value if isinstance(value, str) else None

    def _show_field(self, spec: FieldSpec, op: str | None = None, value: Any = None) -> None:
        """Show `spec` in the editor with its operators (and `op`/`value` when editing)."""
        options = self._op_options(spec)
        ops = [o for _, o in options]
        op = op if op in ops else next((o for o in ops if o in spec.server_operators), ops[0])
        self._shown = (spec.name, op)
        self.query_one("#field", Select).value = spec.name
        op_select = self.query_one("#op", Select)
        op_select.set_options(options)
        op_select.value = op
        # The same operator as the last field's keeps its old label (platform / app checks)
        # unless the select is told its value's prompt changed.
        op_select.mutate_reactive(Select.value)  # type: ignore[misc]  # the class's reactive
        self._show_value(spec, op, value)

    @staticmethod
    def _op_options(spec: FieldSpec) -> list[tuple[Text, str]]:
        """The field's operators, each marked by who evaluates it."""
        return [
            (
                Text.assemble(
                    OPERATOR_LABELS[op],
                    (f" · {PLATFORM if op in spec.server_operators else APP}", "dim"),
                ),
                op,
            )
            for op in OPERATORS
            if op in spec.operators
        ]

    def _show_value(self, spec: FieldSpec, op: str, value: Any = None) -> None:
        """The value widget that fits the field and operator, holding `value`."""
        kind = self._value_kind(spec, op)
        for name in ("text", "choice", "multi", "none"):
            self.query_one(f"#{name}").display = name == kind
        if kind == "text":
            field = self.query_one("#text", Input)
            field.placeholder = PLACEHOLDERS.get(spec.type, "text")
            field.value = "" if value is None else str(value)
        elif kind == "choice":
            choice = self.query_one("#choice", Select)
            if spec.type is FieldType.BOOLEAN:
                choice.set_options([("yes", True), ("no", False)])
            else:
                options = (spec.options or {}).items()
                choice.set_options((Text(clean(label)), oid) for oid, label in options)
            if value is not None:
                choice.value = value
        elif kind == "multi":
            multi = self.query_one("#multi", SelectionList)
            chosen = {str(v) for v in value or ()}
            multi.clear_options()
            multi.add_options(
                (Text(clean(label)), oid, oid in chosen)
                for oid, label in (spec.options or {}).items()
            )
        self.query_one("#message", Label).update("")
        self._show_where()

    @staticmethod
    def _value_kind(spec: FieldSpec, op: str) -> str:
        if op in UNARY_OPERATORS:
            return "none"
        if op in LIST_OPERATORS:
            return "multi"
        if spec.type in (FieldType.CHOICE, FieldType.BOOLEAN):
            return "choice"
        return "text"

    def _raw_value(self, spec: FieldSpec, op: str) -> Any:
        kind = self._value_kind(spec, op)
        if kind == "text":
            return self.query_one("#text", Input).value
        if kind == "choice":
            value = self.query_one("#choice", Select).value
            return None if value is Select.NULL else value
        if kind == "multi":
            return list(self.query_one("#multi", SelectionList).selected)
        return None

    def _candidate(self) -> Condition:
        """The condition in the editor, checked (ValidationError says what is wrong)."""
        spec, op = self.spec, self.op
        if spec is None or op is None:
            raise AudienceError("choose a field and an operator")
        value = self._raw_value(spec, op)
        if value is None and op not in UNARY_OPERATORS:
            raise AudienceError(f"{spec.label}: choose a value")
        return coerce(Condition(spec.name, op, value), spec)

    def _show_where(self) -> None:
        """Who evaluates the condition in the editor (the value can matter: Kajabi)."""
        spec, op = self.spec, self.op
        if spec is None or op is None:
            return
        try:
            server = server_side(self.provider, self._candidate(), spec)
        except AudienceError:
            server = op in spec.server_operators
        where = (
            f"{self.provider.title} evaluates this condition itself."
            if server
            else f"{self.provider.title} cannot: the app checks this condition page by page."
        )
        self.query_one("#where", Label).update(Text(where, style="dim"))

    @on(Select.Changed, "#field")
    def _field_changed(self, event: Select.Changed) -> None:
        spec = self.specs.get(event.value) if isinstance(event.value, str) else None
        if spec is not None and (self._shown is None or self._shown[0] != spec.name):
            self._show_field(spec)

    @on(Select.Changed, "#op")
    def _op_changed(self, event: Select.Changed) -> None:
        spec = self.spec
        if spec is None or not isinstance(event.value, str) or self._shown is None:
            return
        if self._shown != (spec.name, event.value):
            old = self._value_kind(spec, self._shown[1])
            keep = self._raw_value(spec, self._shown[1])
            self._shown = (spec.name, event.value)
            same = old == self._value_kind(spec, event.value)
            self._show_value(spec, event.value, keep if same else None)

    @on(Input.Changed, "#text")
    @on(Select.Changed, "#choice")
    @on(SelectionList.SelectedChanged, "#multi")
    def _value_changed(self) -> None:
        self.query_one("#message", Label).update("")
        self._show_where()

    @on(Input.Submitted, "#text")
    @on(Button.Pressed, "#add")
    def action_add(self) -> bool:
        """Add the editor's condition (or put it in place of the one being edited); False
        when it is not complete (the message says what is missing)."""
        try:
            condition = self._candidate()
        except AudienceError as exc:
            self.query_one("#message", Label).update(Text(exc.detail))
            return False
        if self.editing is not None and self.editing < len(self.conditions):
            index = self.editing
            self.conditions[index] = condition
        else:
            index = len(self.conditions)
            self.conditions.append(condition)
        self.editing = None
        self.query_one("#add", Button).label = "Add condition"
        if self.spec is not None and self.op is not None:
            self._show_value(self.spec, self.op)
        self._refresh_conditions()
        # on the list: `a` applies, `w` saves, `enter` edits, tab goes on to the next condition
        conditions = self.query_one("#conditions", OptionList)
        conditions.highlighted = index
        conditions.focus()
        return True

    @on(OptionList.OptionSelected, "#conditions")
    def _edit(self, event: OptionList.OptionSelected) -> None:
        """`enter` on a condition: edit it; on the "no condition" line: start one."""
        if event.option_index >= len(self.conditions):
            self.query_one("#field", Select).focus()
            return
        condition = self.conditions[event.option_index]
        spec = self.specs.get(condition.field)
        if spec is None:
            return
        self.editing = event.option_index
        self._show_field(spec, condition.op, condition.value)
        self.query_one("#add", Button).label = "Update condition"
        self.query_one("#field", Select).focus()

    @on(Button.Pressed, "#remove")
    def action_remove(self) -> None:
        index = self.query_one("#conditions", OptionList).highlighted
        if index is None or index >= len(self.conditions):
            return
        del self.conditions[index]
        self.editing = None
        self.query_one("#add", Button).label = "Add condition"
        self._refresh_conditions()

    @on(Button.Pressed, "#clear")
    def _clear(self) -> None:
        self.conditions.clear()
        self.editing = None
        self._refresh_conditions()

    @on(Select.Changed, "#logic")
    def _logic_changed(self, event: Select.Changed) -> None:
        if event.value in ("and", "or"):
            self.logic = event.value
            self._refresh_conditions()

    @property
    def filter(self) -> Filter:
        return Filter(tuple(self.conditions), self.logic)

    def _refresh_conditions(self) -> None:
        """The list of conditions, each marked by who evaluates it, and the plan's note."""
        split = plan_of(self.provider, self.filter, self.fields)
        conditions = self.query_one("#conditions", OptionList)
        highlighted = conditions.highlighted
        conditions.clear_options()
        for condition in self.conditions:
            who = PLATFORM if condition in split.server.conditions else APP
            line = Text(clean(describe(Filter((condition,)), self.fields)))
            conditions.add_option(line.append(f"  · {who}", style="dim"))
        if not self.conditions:
            conditions.add_option(Text("(no condition: enter or tab to add one)", style="dim"))
        conditions.highlighted = min(highlighted or 0, max(len(self.conditions) - 1, 0))
        note = plan_note(self.provider.title, split, self.fields)
        self.query_one("#plan", Label).update(Text(clean(note), style="italic"))

    # --- saved filters ----------------------------------------------------------------------
    def action_save(self) -> None:
        self.query_one(SavedFilterBar).save()

    @on(SavedFilterBar.Opened)
    def _opened(self, event: SavedFilterBar.Opened) -> None:
        self.conditions = list(event.filter.conditions)
        self.logic = event.filter.logic
        self.query_one("#logic", Select).value = event.filter.logic
        self.editing = None
        self._refresh_conditions()

    # --- leaving ----------------------------------------------------------------------------
    @on(Button.Pressed, "#apply")
    def action_apply(self) -> None:
        """Apply the conditions, with the one in the editor when it was given a value and not
        added yet: a value chosen and applied without **Add** was dropped without a word."""
        if self._value_given() and not self.action_add():
            return
        self.dismiss(self.filter)

    def _value_given(self) -> bool:
        spec, op = self.spec, self.op
        if spec is None or op is None:
            return False
        value = self._raw_value(spec, op)
        return bool(value.strip() if isinstance(value, str) else value not in (None, []))

    @property
    def unsaved(self) -> bool:
        """Conditions changed since the builder opened and not saved by name, or a value typed
        and not added."""
        typed = self.query_one("#text", Input)
        if typed.display and typed.value.strip():
            return True
        if self.filter == self.original:
            return False
        account, list_id = self.account_name, self.audience.id
        names = self.saved.names(account, list_id)
        return all(self.saved.get(account, list_id, name) != self.filter for name in names)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Leave without applying; ask first when that would lose changed conditions."""
        if not self.unsaved:
            self.dismiss(None)
            return
        question = Text("Discard the changes to this filter? The table keeps its current filter.")
        self.app.push_screen(ConfirmScreen(question, "Discard"), self._discard)

    def _discard(self, yes: bool | None) -> None:
        if yes:
            self.dismiss(None)
