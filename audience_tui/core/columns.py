"""The columns of a member view, from the platform's fields: what the table shows and export writes.

Every platform gets Email, Name and Status first (from `Member`), then its own fields, builtin ones
before custom ones, leaving out the fields those three already show. Choice values are shown by
their option labels, as the platform's own screens do. `fit_widths` sizes the columns of every
table in the app (the member table and the screens' smaller tables) from what their values need.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .models import FieldSpec, FieldType, Member, MemberStatus, Sort

# Platform field names behind the three leading columns (the first present one is used to sort).
_EMAIL_FIELDS = ("email", "email_address", "emailaddress")
_NAME_FIELDS = ("name", "full_name", "fullname", "firstname", "first_name")
_SHOWN_BY_LEADING = {*_EMAIL_FIELDS, *_NAME_FIELDS, "lastname", "last_name", "status"}


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # "email", "name", "status" or the platform's field name
    label: str
    type: FieldType = FieldType.TEXT
    spec: FieldSpec | None = None  # the platform field behind the column, when there is one

    @property
    def sortable(self) -> bool:
        return self.spec is not None and self.spec.sortable

    def next_sort(self, current: Sort | None) -> Sort | None:
        """The sort after `s` on this column: ascending, then descending, then none (the list's
        own order), so a sort the platform cannot combine with a filter can always be undone."""
        field = self.spec.name if self.spec else self.key
        if current is None or current.field != field:
            return Sort(field)
        return Sort(field, descending=True) if not current.descending else None

    def known_values(self) -> list[str]:
        """The values this column can hold, where they are known before any member is read
        (the status words, a choice field's option labels): a table leaves room for them."""
        if self.key == "status":
            return [status.value.replace("_", " ") for status in MemberStatus]
        return [str(label) for label in (self.spec.options or {}).values()] if self.spec else []

    def value(self, member: Member) -> Any:
        """The member's value in this column, choice ids turned into labels; untrusted, raw."""
        if self.key == "email":
            return member.email
        if self.key == "name":
            return member.name
        if self.key == "status":
            return member.status.value.replace("_", " ")
        return display_value(self.spec, member.fields.get(self.key))


def display_value(spec: FieldSpec | None, value: Any) -> Any:
    """Option ids as their labels (unknown ids stay as they are)."""
    options = spec.options if spec is not None else None
    if not options or value is None:
        return value
    if isinstance(value, list | tuple):
        return [options.get(str(item), item) for item in value]
    return options.get(str(value), value)


def columns_for(fields: Sequence[FieldSpec]) -> list[Column]:
    """Email, Name, Status, then the platform's other fields (builtin first)."""
    by_name = {spec.name.casefold(): spec for spec in fields}

    def first(names: Sequence[str]) -> FieldSpec | None:
        return next((by_name[n] for n in names if n in by_name), None)

    leading = [
        Column("email", "Email", spec=first(_EMAIL_FIELDS)),
        Column("name", "Name", spec=first(_NAME_FIELDS)),
        Column("status", "Status", spec=by_name.get("status")),
    ]
    rest = sorted(
        (spec for spec in fields if spec.name.casefold() not in _SHOWN_BY_LEADING),
        key=lambda spec: not spec.builtin,
    )
    return leading + [Column(spec.name, spec.label or spec.name, spec.type, spec) for spec in rest]


FLOOR = 12  # cells a cut column keeps at least (fewer when its values need fewer)


def fit_widths(
    needs: Sequence[int], available: int, floors: Sequence[int] | None = None, gap: int = 1
) -> list[int]:
    """Widths for columns whose values need `needs` cells, side by side in `available` cells
    with `gap` cells between them.

    When they all fit, every column gets what it needs. When not, the widest are cut to one
    common width, none below its floor (`floors`, else FLOOR; never more than it needs): the
    short columns stay whole and the cuts fall on the longest values, with no cell left over.
    When even the floors do not fit, the view scrolls sideways and every column keeps what it
    needs (up to the view's width): cutting them all would leave nothing readable.
    """
    available = max(available, 1)
    widths = [max(min(need, available), 1) for need in needs]
    floors = [min(f, w) for f, w in zip(floors or [FLOOR] * len(widths), widths, strict=True)]
    spacing = gap * max(len(widths) - 1, 0)
    if sum(widths) + spacing <= available or sum(floors) + spacing > available:
        return widths

    def used(level: int) -> int:
        return sum(
            max(floor, min(width, level)) for floor, width in zip(floors, widths, strict=True)
        )

    low, high = 0, max(widths)  # the highest common width that fits: used(low) fits
    while low < high:
        middle = (low + high + 1) // 2
        if used(middle) + spacing <= available:
            low = middle
        else:
            high = middle - 1
    fitted = [max(floor, min(width, low)) for floor, width in zip(floors, widths, strict=True)]
    spare = available - spacing - sum(fitted)
    for index, width in enumerate(widths):  # the cells left over go to the cut columns, in order
        if spare and fitted[index] < width:
            fitted[index] += 1
            spare -= 1
    return fitted
