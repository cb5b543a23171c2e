"""Read-only subcommands: lists, members, lookup, aggregate.

`members` writes each page as it arrives (core.scan fetches a bounded number of pages ahead), so
the first rows of a million-member list print at once and memory stays flat however long it is.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from contextlib import aclosing
from typing import Any

from ..core import deadlines
from ..core.aggregate import aggregate, shares
from ..core.columns import columns_for
from ..core.counts import WITHIN, list_counts
from ..core.deadlines import within
from ..core.errors import AudienceError, NotFoundError
from ..core.models import Audience, FieldSpec, MemberStatus, Query, Sort
from ..core.platforms import title
from ..core.provider import Provider
from ..core.scan import filter_of, pages, prepare
from ..core.session import LookupResult
from .context import Context
from .output import (
    MemberRows,
    RowWriter,
    add_format_option,
    emit,
    member_keys,
    member_row,
    parse_status,
)
from .writes import incomplete, unsearched

NO_MEMBERS = "no members match"
# `all_statuses`: every member whatever their status, where `members` counts the active ones only
LIST_KEYS = ("id", "name", "members", "all_statuses", "kind")

FILTER_HELP = """\
filters: --filter 'FIELD OP VALUE', repeatable; conditions are joined by 'and' (or 'or' with --any).
operators: eq neq sw ew ct nct gt gte lt lte in nin ina ie nie (in/nin/ina take comma-separated
values; ie/nie take none). Choice fields take an option's label or id. What a platform cannot
filter itself, the app checks page by page (and says so on stderr).
"""
MEMBERS_HELP = (
    FILTER_HELP
    + """
statuses: active, opted_out, pending, error, deleted (opted-out, "opted out" and unsubscribed are
accepted too). CSV and JSONL write opted_out; the table writes "opted out". A status the platform
cannot list is checked by the app. Choice fields print their option labels (--raw: the ids).

examples:
  audience-tui --demo members demo-heyloyalty "Newsletter DK" --filter 'firstname sw an' --limit 20
  audience-tui --demo members demo-emma "All members" --format jsonl --limit 5
  audience-tui --demo members demo-kajabi "Photo Masterclass" --status opted_out --sort -name
  audience-tui --demo members demo-heyloyalty "All customers (1M)" --format csv > all.csv
"""
)
AGGREGATE_HELP = (
    FILTER_HELP
    + """
examples:
  audience-tui --demo aggregate demo-placewise "Infinity Mall" gender
  audience-tui --demo aggregate demo-heyloyalty "Newsletter DK" country --filter 'sex eq Female'
  audience-tui --demo aggregate demo-emma "All members" favourite_category --format csv
"""
)


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="'FIELD OP VALUE'",
        help="a condition (repeatable)",
    )
    parser.add_argument("--any", action="store_true", help="match any condition instead of all")


def add_raw_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--raw", action="store_true", help="choice fields as the platform's ids, not their labels"
    )


def non_negative(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{number} is negative (0 prints no member)")
    return number


def register(sub: Any) -> None:
    p = sub.add_parser(
        "lists",
        help="the lists (audiences) of an account",
        description="List an account's audiences with member counts where known.",
    )
    p.add_argument("account")
    add_format_option(p)
    p.set_defaults(func=run_lists)

    p = sub.add_parser(
        "members",
        help="members of a list, filtered",
        description="Print the members of a list, page by page as they arrive.",
        epilog=MEMBERS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("account")
    p.add_argument("list", help="the list's id or name")
    add_filter_options(p)
    p.add_argument(
        "--status", type=parse_status, metavar="STATUS", help="only members with this status"
    )
    p.add_argument(
        "--sort", metavar="FIELD", help="sort by FIELD (prefix '-' for descending: --sort -name)"
    )
    p.add_argument(
        "--limit",
        type=non_negative,
        default=None,
        metavar="N",
        help="at most N members (0: none, the header only)",
    )
    add_raw_option(p)
    add_format_option(p)
    p.set_defaults(func=run_members)

    p = sub.add_parser(
        "lookup",
        help="find a member by email, in every account at once",
        description="Find where an email is a member, with the status on each.",
    )
    p.add_argument("email")
    p.add_argument(
        "--account",
        action="append",
        metavar="NAME",
        help="only this account (repeatable); default: every account",
    )
    add_raw_option(p)
    add_format_option(p)
    p.set_defaults(func=run_lookup)

    p = sub.add_parser(
        "aggregate",
        help="member counts grouped by a field",
        description="Count a list's members by FIELD (server-side where the "
        "platform can, else by scanning every page).",
        epilog=AGGREGATE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("account")
    p.add_argument("list")
    p.add_argument("field")
    add_filter_options(p)
    add_format_option(p)
    p.set_defaults(func=run_aggregate)


async def run_lists(args: argparse.Namespace, ctx: Context) -> int:
    until = ctx.started + deadlines.LISTS  # the counts' wholes too, in what is left of it
    audiences = await ctx.session.audiences(args.account, until=until)
    left = min(WITHIN, max(0.0, until - time.monotonic()))
    counts = await list_counts(ctx.session.provider(args.account), audiences, left)
    table = args.format == "table"
    rows = [
        {
            "id": a.id,
            "name": a.name,
            "members": _building(ctx, args.account, a, count.words()) if table else a.member_count,
            "all_statuses": count.everyone,
            "kind": a.kind,
        }
        for a, count in zip(audiences, counts, strict=True)
    ]
    columns = ["id", "name", "members", "kind"] if table else [*LIST_KEYS]
    emit(rows, args.format, ctx.out, columns, formula_guard=args.formula_guard)
    if not rows:
        print("no lists", file=ctx.err)
    return 0


def _building(ctx: Context, account: str, audience: Audience, words: str) -> str:
    """A count with the demo build still filling its list, if there is one."""
    build = ctx.building(account, audience)
    return f"{words} (being built: {build.done:,} of {build.total:,})" if build else words


def sort_of(text: str | None, fields: Sequence[FieldSpec]) -> Sort | None:
    """`-name` as a descending Sort; email, name and status sort by the platform field behind
    them, as the table's columns do (Heyloyalty's `name` is `firstname`)."""
    if not text:
        return None
    key = text.lstrip("-")
    column = next((c for c in columns_for(fields) if c.key == key and c.spec is not None), None)
    return Sort(column.spec.name if column and column.spec else key, descending=text[0] == "-")


def split_status(
    provider: Provider, wanted: MemberStatus | None
) -> tuple[Query, MemberStatus | None]:
    """The status the platform lists (in the query), and the one the app checks (else None)."""
    if wanted is None or wanted in provider.capabilities.statuses:
        return Query(status=wanted), None
    return Query(), wanted


async def run_members(args: argparse.Namespace, ctx: Context) -> int:
    provider = ctx.session.provider(args.account)
    audience = await ctx.session.audience(args.account, args.list)
    listed, checked = split_status(provider, args.status)
    sort = sort_of(args.sort, await provider.fields(audience))
    query = Query(filter_of(args.filter, args.any), sort, listed.status)
    view = await prepare(provider, audience, query)
    for reason in view.plan.reasons:
        print(f"note: {reason}", file=ctx.err)
    if checked is not None:
        print(
            f"note: {title(provider.platform)} cannot list {checked.value} members itself; "
            "the app checks each member's status page by page",
            file=ctx.err,
        )
    if (build := ctx.building(args.account, audience)) is not None:
        print(
            f"note: this demo list is being built: {build.done:,} of {build.total:,} members so "
            "far (`audience-tui --demo sandbox build` builds it now)",
            file=ctx.err,
        )
    writer = RowWriter(
        args.format,
        ctx.out,
        member_keys(view.fields),
        open_ended=True,
        formula_guard=args.formula_guard,
    )

    row = MemberRows(args.account, audience.name, fmt=args.format, fields=view.fields, raw=args.raw)
    left, no_email = args.limit, 0
    if left != 0:
        # One round of the platform's concurrency in flight, not two: each page of members
        # parsed and waiting is memory, and the rows are written out as they come anyway. The
        # rows never read a member's platform document (`raw`), which was most of that memory.
        stream = pages(view, ahead=provider.capabilities.scan_concurrency, raw=False)
        async with aclosing(stream):  # closed: pages still in flight are cancelled
            async for members in stream:
                chosen = [m for m in members if checked is None or m.status is checked]
                if left is not None:
                    chosen, left = chosen[:left], left - min(left, len(chosen))
                writer.write([row(m) for m in chosen])
                no_email += sum(1 for m in chosen if not m.email)
                if left == 0:
                    break
    if no_email:  # e.g. a filtered Placewise view: its Reporting API holds no personal data
        print(
            f"note: {no_email:,} of the members written have no email: the platform's answer "
            "for this view held none (the README's 'What each platform can do' says where a "
            "platform leaves personal data out)",
            file=ctx.err,
        )
    if writer.close() == 0 and args.limit != 0:
        print(NO_MEMBERS, file=ctx.err)
    return 0


async def run_lookup(args: argparse.Namespace, ctx: Context) -> int:
    until = ctx.started + deadlines.LOOKUP  # the labels are read in what is left of it
    results = await ctx.session.lookup(args.email, args.account, until=until)
    failures = unsearched(results, ctx)
    found = [r for r in results if r.error is None and r.members]
    labelled = await asyncio.gather(*(_lookup_rows(ctx, args, result, until) for result in found))
    rows = [row for account_rows in labelled for row in account_rows]
    columns = ["account", "platform", "list", "id", "email", "status"]
    if rows:
        emit(
            rows,
            args.format,
            ctx.out,
            None if args.format == "jsonl" else columns,
            formula_guard=args.formula_guard,
        )
    if failures:
        return incomplete(failures, args.email, ctx)
    if rows:
        return 0
    raise NotFoundError(f"{args.email} was not found in any account searched")


async def _lookup_rows(
    ctx: Context, args: argparse.Namespace, result: LookupResult, until: float
) -> list[dict[str, Any]]:
    """The rows of one account's lookup result, with its lists' names and its fields' labels.

    Those are read after the lookup, by `until` (the lookup's deadline, a time.monotonic()):
    the lists first, then the fields of every list the person is on, together. When they cannot
    be had in time, the rows keep list ids and raw values rather than losing what the lookup
    found or making the person wait past the deadline."""
    name = result.account.name
    provider = ctx.session.provider(name)

    def left() -> float:
        return max(0.0, until - time.monotonic())

    try:
        lists = within(left(), f"{name}'s list names", ctx.session.audiences(name))
        audiences = {a.id: a for a in await lists}
    except AudienceError as exc:
        print(f"{name}: list names and field labels not shown: {exc}", file=ctx.err)
        audiences = {}
    wanted = {m.audience_id: audiences[m.audience_id] for m in result.members
              if m.audience_id in audiences}  # fmt: skip

    async def fields_of(audience: Audience) -> list[FieldSpec]:
        try:
            return await provider.fields(audience)
        except AudienceError:
            return []

    try:
        read = asyncio.gather(*(fields_of(audience) for audience in wanted.values()))
        specs = dict(zip(wanted, await within(left(), f"{name}'s fields", read), strict=True))
    except AudienceError:
        specs = {}
    rows = []
    for member in result.members:
        audience = audiences.get(member.audience_id or "")
        row = member_row(
            name,
            audience.name if audience is not None else member.audience_id,
            member,
            fmt=args.format,
            fields=specs.get(member.audience_id or "", []),
            raw=args.raw,
        )
        row["platform"] = result.account.platform
        rows.append(row)
    return rows


async def run_aggregate(args: argparse.Namespace, ctx: Context) -> int:
    provider = ctx.session.provider(args.account)
    audience = await ctx.session.audience(args.account, args.list)
    view = await prepare(provider, audience, Query(filter_of(args.filter, args.any)))
    result = await aggregate(view, args.field)
    percents = shares([b.count for b in result.buckets])  # adding up to exactly 100
    rows = [
        {"value": b.label, "members": b.count, "percent": percent}
        for b, percent in zip(result.buckets, percents, strict=True)
    ]
    emit(
        rows,
        args.format,
        ctx.out,
        ["value", "members", "percent"],
        formula_guard=args.formula_guard,
    )
    if not rows:
        print(NO_MEMBERS, file=ctx.err)
    how = (
        "counted by the platform"
        if result.source == "server"
        else f"counted by scanning {result.scanned:,} members"
    )
    print(how, file=ctx.err)
    return 0
