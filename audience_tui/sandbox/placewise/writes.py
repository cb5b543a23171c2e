"""Writes to Placewise sandbox members: the partial update of `PUT /v3/{slug}/members/{id}` and the
creates/updates of bulk imports share one validation and one way of applying a change.

Only the keys given change; a property set to null is deleted. Consent changes are stamped with
their time; withdrawing the email consent records when the member left (member_balance "out").
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date
from typing import Any

from .data import (
    CONSENTS,
    INSERT,
    PROPERTY_COLUMNS,
    derive,
    interest_mask,
    now_micros,
    stamp_of,
    values,
)
from .storage import STORED

BODY_KEYS = frozenset(
    {
        "properties",
        "consents",
        "password",
        "sms_enabled",
        "email_enabled",
        "push_enabled",
        "validate_partially",
        "event_occurred_at",
        "favorite_stores",
        "optin_channel",
    }
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MSISDN = re.compile(r"^\d{8,15}$")
_CONSENT_COLUMN = dict(zip(CONSENTS, ("c_email", "c_sms"), strict=True))
_UPDATE = f"UPDATE placewise_members SET {', '.join(f'{c} = ?' for c in STORED)} WHERE id = ?"
_STATUS = {
    "sms_enabled": "sms_status",
    "email_enabled": "email_status",
    "push_enabled": "push_status",
}

Errors = dict[str, list[dict[str, str]]]


def validate(body: Any) -> Errors:
    """Schema errors of a member body, in the member-schema 422 shape ({} when valid)."""
    if not isinstance(body, dict):
        return {"member": [{"property": "member", "error": "must_be_object"}]}
    errors: Errors = {}

    def bad(name: str, error: str) -> None:
        errors.setdefault(name, []).append({"property": name, "error": error})

    for key in set(body) - BODY_KEYS:
        bad(key, "unknown_attribute")
    properties = body.get("properties") or {}
    consents = body.get("consents") or {}
    if not isinstance(properties, dict):
        bad("properties", "must_be_object")
        properties = {}
    if not isinstance(consents, dict):
        bad("consents", "must_be_object")
        consents = {}
    email, msisdn = properties.get("email"), properties.get("msisdn")
    if email is not None and not (isinstance(email, str) and EMAIL.match(email)):
        bad("email", "invalid")
    if msisdn is not None and not (isinstance(msisdn, str) and MSISDN.match(msisdn)):
        bad("msisdn", "invalid_msisdn")
    birthday = properties.get("birthday")
    if birthday is not None:
        try:
            date.fromisoformat(str(birthday))
        except ValueError:
            bad("birthday", "invalid_date")
    if properties.get("gender") not in (None, "woman", "man"):
        bad("gender", "not_in_enum")
    for slug, consent in consents.items():
        if not isinstance(consent, dict) or not isinstance(consent.get("status"), bool):
            bad(f"consents.{slug}", "status_must_be_boolean")
    for flag in _STATUS:
        if flag in body and not isinstance(body[flag], bool):
            bad(flag, "must_be_boolean")
    return errors


def apply(
    conn: sqlite3.Connection, club_id: int, current: sqlite3.Row | None, body: dict[str, Any]
) -> int:
    """Create (current None) or partially update a member from a validated body; its id."""
    now = now_micros()
    if current is None:
        position = conn.execute(
            "SELECT COALESCE(MAX(position), 0) + 1 FROM placewise_members WHERE club_id = ?",
            (club_id,),
        ).fetchone()[0]
        row: dict[str, Any] = {
            "club_id": club_id,
            "position": position,
            "interests": 0,
            "sms_status": "enabled",
            "email_status": "enabled",
            "push_status": "disabled",
            "push_devices": 0,
            "optin_channel": body.get("optin_channel") or "import",
            "created_at": now,
            "updated_at": now,
        }
    else:
        row = dict(current)
    before = dict(row)
    extra = json.loads(row.get("extra") or "{}")
    for name, value in (body.get("properties") or {}).items():
        if name in PROPERTY_COLUMNS:
            row[name] = value.lower() if name == "email" and isinstance(value, str) else value
        elif name == "interests":
            row["interests"] = interest_mask(value if isinstance(value, list) else [])
        elif name == "bonus_points":
            row["bonus_points"] = value if isinstance(value, int) else None
        elif value is None:
            extra.pop(name, None)
        else:
            extra[name] = value
    row["extra"] = json.dumps(extra) if extra else None
    others = json.loads(row.get("other_consents") or "{}")
    for slug, consent in (body.get("consents") or {}).items():
        status = consent["status"]
        column = _CONSENT_COLUMN.get(slug)
        if column is None:
            if (others.get(slug) or {}).get("status") != status:
                others[slug] = {"status": status, "updated_at": stamp_of(now)}
            continue
        if row.get(column) != int(status):
            row[column], row[f"{column}_at"] = int(status), now
            if column == "c_email":
                row["left_at"] = None if status else now
    row["other_consents"] = json.dumps(others) if others else None
    for flag, column in _STATUS.items():
        if flag not in body:
            continue
        if not body[flag]:
            row[column] = "disabled"
        elif row.get(column) == "disabled":
            row[column] = "enabled"
    derive(row)
    if current is None:
        return conn.execute(INSERT, values(row)).lastrowid or 0
    if row != before:
        row["updated_at"] = now
        conn.execute(_UPDATE, [*values(row), row["id"]])
    return int(row["id"])
