"""The columns of a member view, from the platform's fields: what the table shows and export writes.

Every platform gets Email, Name and Status first (from `Member`), then its own fields, builtin ones
before custom ones, leaving out the fields those three already show. Choice values are shown by
their option labels, as the platform's own screens do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .models import FieldSpec, FieldType, Member

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
