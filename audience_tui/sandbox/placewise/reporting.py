"""The Placewise sandbox's Reporting API: `POST /v1/reporting/query` reports computed from the data.

Records reports: `members` (analytical records without personal data, cursor paged, or grouped
with `aggregate_by`), `members_count` and `members_grouped_count` (rows per grouping type and
value). Timeseries reports: `member_balance` (joins by created_at, leaves by the time the email
consent was withdrawn), `members_count_history` and `members_count_snapshot` (members at each
bucket's end). Every function here runs in a store thread: a million-member club is scanned in SQL.
"""

from __future__ import annotations

import json
import sqlite3
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .. import people
from .data import CONSENTS, DISTRICTS, INTERESTS, micros, now_stamp, report_record, stamp
from .query import (
    GROUPED_FIELDS,
    MEMBER_FIELDS,
    Node,
    QueryError,
    equal_values,
    evaluate,
    filter_cost,
    make_cursor,
    parse_filter,
    read_cursor,
    to_sql,
)
from .storage import read_columns

REPORT_COST: Mapping[str, int] = {
    "members": 10,
    "members_count": 2,
    "members_grouped_count": 2,
    "member_balance": 3,
    "members_count_history": 3,
    "members_count_snapshot": 3,
}
TIMESERIES = frozenset({"member_balance", "members_count_history", "members_count_snapshot"})
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_POINTS = 1000
# Grouping type -> the keys of its rows in the `members` report aggregation (as in the docs).
ROW_KEYS: Mapping[str, tuple[str, ...]] = {
    "optin_channel": ("optin_channel",),
    "optin_subchannel": ("optin_subchannel",),
    "optin_platform": ("optin_platform",),
    "gender": ("gender",),
    "age": ("age",),
    "marketing_via_anything": ("marketing_via_anything",),
    "place": ("place_id",),
    "city": ("city_place_id",),
    "consent": ("consent_key", "consent_value"),
    "location": ("location_city", "location_detail"),
    "interest": ("interest",),
}
_SCALAR_SQL = {
    "optin_channel": "m.optin_channel",
    "optin_subchannel": "m.optin_subchannel",
    "optin_platform": "m.optin_platform",
    "gender": "m.gender",
    "age": "m.age",
    "marketing_via_anything": "m.mv_any",
    "place": "m.place_id",
    "city": "m.city_place_id",
    "location": "m.place_id",
}
# Scans walk a club in position order (rowid order, near sequential); the planner would
# otherwise pick the (club_id, email) index and read a million rows in random order.
_FROM = (
    "FROM placewise_members m INDEXED BY placewise_members_position "
    "JOIN placewise_clubs c ON c.id = m.club_id"
)
_READ = read_columns("m")
FIXED_STEPS = {"5m": 300, "1h": 3600, "1d": 86400, "1w": 7 * 86400}
_MONDAY = 4 * 86400  # 1970-01-05, a Monday: weekly buckets start on Mondays


@dataclass(frozen=True, slots=True)
class Prepared:
    """A validated query and what it costs, known before the bucket is charged."""

    report: str
    node: Node | None
    cost: int


def prepare(body: Any) -> Prepared:
    if not isinstance(body, dict):
        raise QueryError("the body must be a JSON object")
    report = body.get("report")
    if not isinstance(report, str) or report not in REPORT_COST:
        raise QueryError(f"unknown report {report!r}; use one of: {', '.join(REPORT_COST)}")
    fields = GROUPED_FIELDS if report == "members_grouped_count" else MEMBER_FIELDS
    node = parse_filter(body.get("filter"), fields)
    return Prepared(report, node, REPORT_COST[report] + filter_cost(node))


def run(
    conn: sqlite3.Connection,
    query: Prepared,
    body: Mapping[str, Any],
    clubs: Sequence[tuple[int, int]],
    bound_to: str,
) -> dict[str, Any]:
    """The response document of a prepared query over the customer's (club id, community id)."""
    pinned = equal_values(query.node, "community_id")
    if pinned is not None:
        clubs = [club for club in clubs if club[1] in pinned]
    if query.report in TIMESERIES:
        return _timeseries(conn, query, body, clubs)
    if query.report == "members_grouped_count":
        return _records(_grouped_count(conn, query.node, clubs, body.get("aggregate_by")))
    grouping = body.get("aggregate_by")
    if query.report == "members_count":
        grouping = grouping or "total"
    if grouping is not None:
        if grouping not in (*ROW_KEYS, "community", "total"):
            raise QueryError(f"unknown aggregate_by {grouping!r} for report {query.report}")
        rows = group_rows(conn, clubs, query.node, grouping)
        if grouping != "community":
            rows = _summed(rows, ROW_KEYS.get(grouping, ()))
        return _records(rows)
    return _member_records(conn, query.node, clubs, body, bound_to)


def _records(rows: list[dict[str, Any]], next_page: str | None = None) -> dict[str, Any]:
    return {"records": rows, "pagination": {"next_page_info": next_page}, "result_type": "records"}


def _member_records(
    conn: sqlite3.Connection,
    node: Node | None,
    clubs: Sequence[tuple[int, int]],
    body: Mapping[str, Any],
    bound_to: str,
) -> dict[str, Any]:
    limit = body.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    where, params = to_sql(node)
    start = read_cursor(body["page_info"], bound_to) if body.get("page_info") else (0, 0)
    found: list[sqlite3.Row] = []
    for club_id, _ in sorted(clubs):
        if club_id < start[0] or len(found) > limit:
            continue
        after = start[1] if club_id == start[0] else 0
        found += conn.execute(
            f"SELECT {_READ}, c.community_id {_FROM} WHERE m.club_id = ? AND m.position > ? "
            f"AND {where} ORDER BY m.position LIMIT ?",
            [club_id, after, *params, limit + 1 - len(found)],
        ).fetchall()
    page = found[:limit]
    more = len(found) > limit
    cursor = make_cursor(page[-1]["club_id"], page[-1]["position"], bound_to) if more else None
    return _records([report_record(row) for row in page], cursor)


def _location(city: int | None, place: int | None) -> tuple[str | None, str | None]:
    name = people.CITIES[city - 1][0] if city and 0 < city <= len(people.CITIES) else None
    return name, (DISTRICTS[place % 10 - 1] if place and 0 < place % 10 <= 3 else None)


def group_rows(
    conn: sqlite3.Connection, clubs: Sequence[tuple[int, int]], node: Node | None, grouping: str
) -> list[dict[str, Any]]:
    """Member counts per community and grouping key, rows shaped as in the docs."""
    if not clubs:
        return []
    where, params = to_sql(node)
    scope = f"m.club_id IN ({', '.join(str(int(club)) for club, _ in clubs)}) AND {where}"
    out: list[dict[str, Any]] = []
    if grouping in ("community", "total"):
        sql = f"SELECT c.community_id, COUNT(*) {_FROM} WHERE {scope} GROUP BY 1"
        for community, count in conn.execute(sql, params):
            out.append({"community_id": community, "members_count": count})
    elif grouping == "location":
        sql = f"SELECT c.community_id, m.city_place_id, m.place_id, COUNT(*) {_FROM} "
        for community, city, place, count in conn.execute(
            sql + f"WHERE {scope} GROUP BY 1, 2, 3", params
        ):
            city_name, detail = _location(city, place)
            row = {"location_city": city_name, "location_detail": detail, "members_count": count}
            out.append({"community_id": community, **row})
    elif grouping in _SCALAR_SQL:
        sql = f"SELECT c.community_id, {_SCALAR_SQL[grouping]}, COUNT(*) {_FROM} "
        for community, value, count in conn.execute(sql + f"WHERE {scope} GROUP BY 1, 2", params):
            if grouping == "marketing_via_anything":
                value = bool(value)
            key = ROW_KEYS[grouping][0]
            out.append({"community_id": community, key: value, "members_count": count})
    elif grouping == "interest":
        sums = ", ".join(f"SUM((m.interests >> {bit}) & 1)" for bit in range(len(INTERESTS)))
        for community, *counts in conn.execute(
            f"SELECT c.community_id, {sums} {_FROM} WHERE {scope} GROUP BY 1", params
        ):
            out += [
                {"community_id": community, "interest": name, "members_count": n}
                for name, n in zip(INTERESTS, counts, strict=True)
                if n
            ]
    elif grouping == "consent":
        out = _consent_rows(conn, scope, params)
    else:
        raise QueryError(f"unknown grouping type {grouping!r}")
    return out


def _consent_rows(conn: sqlite3.Connection, scope: str, params: list[Any]) -> list[dict[str, Any]]:
    counts: dict[tuple[int, str, bool], int] = {}
    columns = ("c_email", "c_sms")
    sums = ", ".join(f"SUM({col} = 1), SUM({col} = 0)" for col in columns)
    for community, *values in conn.execute(
        f"SELECT c.community_id, {sums} {_FROM} WHERE {scope} GROUP BY 1", params
    ):
        for i, slug in enumerate(CONSENTS):
            counts[(community, slug, True)] = values[2 * i] or 0
            counts[(community, slug, False)] = values[2 * i + 1] or 0
    sql = f"SELECT c.community_id, m.other_consents {_FROM} WHERE {scope} "
    for community, doc in conn.execute(sql + "AND m.other_consents IS NOT NULL", params):
        for slug, consent in json.loads(doc).items():
            key = (community, slug, bool(consent.get("status")))
            counts[key] = counts.get(key, 0) + 1
    return [
        {"community_id": c, "consent_key": s, "consent_value": v, "members_count": n}
        for (c, s, v), n in sorted(counts.items())
        if n
    ]


def _summed(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows summed across communities (the aggregations without community_id)."""
    totals: dict[tuple[Any, ...], int] = {}
    for row in rows:
        key = tuple(row.get(k) for k in keys)
        totals[key] = totals.get(key, 0) + row["members_count"]
    return [{**dict(zip(keys, key, strict=True)), "members_count": n} for key, n in totals.items()]


def grouping_value(grouping: str, row: Mapping[str, Any]) -> str | None:
    """`members_grouped_count`'s grouping_value: the row's key(s) as one string."""
    keys = [row.get(k) for k in ROW_KEYS[grouping]]
    if grouping == "consent":
        return f"{keys[0]}:{str(keys[1]).lower()}"
    if grouping == "location":
        return " / ".join(str(k) for k in keys if k) or None
    value = keys[0]
    if value is None:
        return None
    return str(value).lower() if isinstance(value, bool) else str(value)


def _grouped_count(
    conn: sqlite3.Connection,
    node: Node | None,
    clubs: Sequence[tuple[int, int]],
    aggregate_by: Any,
) -> list[dict[str, Any]]:
    if aggregate_by not in (None, "by_grouping_type_and_value"):
        raise QueryError(f"unknown aggregate_by {aggregate_by!r} for members_grouped_count")
    types = equal_values(node, "grouping_type") or set(ROW_KEYS)
    updated = now_stamp()
    rows = []
    for grouping in sorted(t for t in types if t in ROW_KEYS):
        for row in group_rows(conn, clubs, None, grouping):
            rows.append(
                {
                    "community_id": row["community_id"],
                    "grouping_type": grouping,
                    "grouping_value": grouping_value(grouping, row),
                    "members_count": row["members_count"],
                    "updated_at": updated,
                }
            )
    rows = [row for row in rows if evaluate(node, row)]
    if aggregate_by:
        return _summed(rows, ("grouping_type", "grouping_value"))
    return rows


# --- timeseries ---------------------------------------------------------------------------------
def _moment(value: Any, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"'{name}' must be an ISO 8601 timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _auto(span: timedelta) -> str:
    if span <= timedelta(days=2):
        return "1h"
    if span <= timedelta(days=120):
        return "1d"
    return "1w" if span <= timedelta(days=730) else "1mo"


def _buckets(start: datetime, end: datetime, interval: str) -> list[datetime]:
    if interval == "1mo":
        moment = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        out = []
        while moment < end:
            out.append(moment)
            moment = moment.replace(
                year=moment.year + moment.month // 12, month=moment.month % 12 + 1
            )
        return out
    step = FIXED_STEPS[interval]
    base = _MONDAY if interval == "1w" else 0
    first = int(start.timestamp()) - (int(start.timestamp()) - base) % step
    count = max(1, -(-(int(end.timestamp()) - first) // step))
    if count > MAX_POINTS:
        raise QueryError(f"too many data points ({count}); use a longer interval")
    return [datetime.fromtimestamp(first + i * step, UTC) for i in range(count)]


def _counts(
    conn: sqlite3.Connection,
    column: str,
    scope: str,
    params: list[Any],
    buckets: list[datetime],
    interval: str,
) -> list[int]:
    """How many members' `column` falls in each bucket (the last runs to the query's end)."""
    # Group by minute, hour or (UTC) day, whichever the buckets' edges fall on, then bucket.
    unit = {"5m": 60, "1h": 3600}.get(interval, 86400)  # seconds
    sql = f"SELECT {column} / {unit * 1_000_000} AS t, COUNT(*) {_FROM} WHERE {scope} "
    sql += f"AND {column} >= ? GROUP BY t"
    starts = [b.timestamp() for b in buckets]
    out = [0] * len(buckets)
    for moment, count in conn.execute(sql, [*params, micros(buckets[0])]):
        index = bisect_right(starts, moment * unit) - 1
        out[max(index, 0)] += count
    return out


def _timeseries(
    conn: sqlite3.Connection,
    query: Prepared,
    body: Mapping[str, Any],
    clubs: Sequence[tuple[int, int]],
) -> dict[str, Any]:
    if body.get("aggregate_by") is not None:
        raise QueryError("the sandbox's timeseries reports take no aggregate_by")
    end = _moment(body.get("to") or now_stamp(), "to")
    start = _moment(body.get("from") or stamp(end - timedelta(days=30)), "from")
    if start >= end:
        raise QueryError("'from' must be before 'to'")
    interval = body.get("interval") or "auto"
    interval = _auto(end - start) if interval == "auto" else interval
    if interval not in (*FIXED_STEPS, "1mo") or (
        query.report == "members_count_snapshot" and interval == "5m"
    ):
        raise QueryError(f"interval {interval!r} is not offered for {query.report}")
    buckets = _buckets(start, end, interval)
    where, params = to_sql(query.node)
    ids = ", ".join(str(int(club)) for club, _ in clubs) or "NULL"
    scope = f"m.club_id IN ({ids}) AND {where} AND m.created_at < ?"
    params = [*params, micros(end)]
    joins = _counts(conn, "m.created_at", scope, params, buckets, interval)
    if query.report == "member_balance":
        left = f"{scope} AND m.left_at < ?"
        leaves = _counts(conn, "m.left_at", left, [*params, micros(end)], buckets, interval)
        series = [({"type": "in"}, joins), ({"type": "out"}, leaves)]
    else:
        before = conn.execute(
            f"SELECT COUNT(*) {_FROM} WHERE {scope} AND m.created_at < ?",
            [*params, micros(buckets[0])],
        ).fetchone()[0]
        running = []
        for count in joins:
            before += count
            running.append(before)
        series = [({}, running)]
    return {
        "interval": interval,
        "range_timezone": "UTC",
        "time_buckets": [stamp(b) for b in buckets],
        "series": [{"label": label, "values": values} for label, values in series],
        "data_points": len(buckets),
        "result_type": "timeseries",
    }
