"""Read-only subcommands: lists, members, lookup, aggregate."""

from __future__ import annotations

import argparse
from typing import Any

from ..core.aggregate import aggregate
from ..core.errors import NotFoundError
from ..core.models import MemberStatus, Query, Sort
from ..core.scan import filter_of, iterate, prepare
from .context import Context
from .output import add_format_option, emit, member_row

STATUSES = {
    "active": MemberStatus.ACTIVE,
    "opted-out": MemberStatus.OPTED_OUT,
    "pending": MemberStatus.PENDING,
    "error": MemberStatus.ERROR,
}

FILTER_HELP = """\
filters: --filter 'FIELD OP VALUE', repeatable; conditions are joined by 'and' (or 'or' with --any).
operators: eq neq sw ew ct nct gt gte lt lte in nin ina ie nie (in/nin/ina take comma-separated
values; ie/nie take none). Choice fields take an option's label or id. What a platform cannot
filter itself, the app checks page by page (and says so on stderr).

examples:
  audience-tui --demo members demo-heyloyalty "Newsletter DK" --filter 'firstname sw an' --limit 20
  audience-tui --demo members demo-emma "All members" --format jsonl --limit 5
"""


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="'FIELD OP VALUE'",
        help="a condition (repeatable)",
    )
    parser.add_argument("--any", action="store_true", help="match any condition instead of all")


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
        description="Print the members of a list.",
        epilog=FILTER_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("account")
    p.add_argument("list", help="the list's id or name")
    add_filter_options(p)
    p.add_argument("--status", choices=list(STATUSES), help="only members with this status")
    p.add_argument("--sort", metavar="FIELD", help="sort by FIELD (prefix '-' for descending)")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="at most N members")
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
    add_format_option(p)
    p.set_defaults(func=run_lookup)

    p = sub.add_parser(
        "aggregate",
        help="member counts grouped by a field",
        description="Count a list's members by FIELD (server-side where the "
        "platform can, else by scanning every page).",
        epilog=FILTER_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("account")
    p.add_argument("list")
    p.add_argument("field")
    add_filter_options(p)
    add_format_option(p)
    p.set_defaults(func=run_aggregate)


async def run_lists(args: argparse.Namespace, ctx: Context) -> int:
    audiences = await ctx.session.provider(args.account).audiences()
    rows = [
        {"id": a.id, "name": a.name, "members": a.member_count, "kind": a.kind} for a in audiences
    ]
    emit(rows, args.format, ctx.out, ["id", "name", "members", "kind"])
    return 0


def _sort(text: str | None) -> Sort | None:
    if not text:
        return None
    return Sort(text.lstrip("-"), descending=text.startswith("-"))


async def run_members(args: argparse.Namespace, ctx: Context) -> int:
    provider = ctx.session.provider(args.account)
    audience = await ctx.session.audience(args.account, args.list)
    query = Query(
        filter_of(args.filter, args.any),
        _sort(args.sort),
        STATUSES.get(args.status) if args.status else None,
    )
    view = await prepare(provider, audience, query)
    for reason in view.plan.reasons:
        print(f"note: {reason}", file=ctx.err)
    rows = (
        member_row(args.account, audience.name, m) async for m in iterate(view, limit=args.limit)
    )
    if args.format == "jsonl":
        async for row in rows:
            emit([row], "jsonl", ctx.out)
        return 0
    emit([row async for row in rows], args.format, ctx.out)
    return 0


async def run_lookup(args: argparse.Namespace, ctx: Context) -> int:
    results = await ctx.session.lookup(args.email, args.account)
    rows: list[dict[str, Any]] = []
    failures = 0
    for result in results:
        if result.error is not None:
            failures += 1
            print(f"{result.account.name}: {result.error}", file=ctx.err)
            continue
        names = {}
        if result.members:
            names = {
                a.id: a.name for a in await ctx.session.provider(result.account.name).audiences()
            }
        for member in result.members:
            row = member_row(
                result.account.name, names.get(member.audience_id or "", member.audience_id), member
            )
            row["platform"] = result.account.platform
            rows.append(row)
    columns = ["account", "platform", "list", "id", "email", "status"]
    if rows:
        emit(rows, args.format, ctx.out, None if args.format == "jsonl" else columns)
        return 0
    if failures == len(results):
        return 4
    raise NotFoundError(f"{args.email} was not found in any account searched")


async def run_aggregate(args: argparse.Namespace, ctx: Context) -> int:
    provider = ctx.session.provider(args.account)
    audience = await ctx.session.audience(args.account, args.list)
    view = await prepare(provider, audience, Query(filter_of(args.filter, args.any)))
    result = await aggregate(view, args.field)
    total = sum(b.count for b in result.buckets) or 1
    rows = [
        {"value": b.label, "members": b.count, "percent": round(100 * b.count / total, 1)}
        for b in result.buckets
    ]
    emit(rows, args.format, ctx.out, ["value", "members", "percent"])
    how = (
        "counted by the platform"
        if result.source == "server"
        else f"counted by scanning {result.scanned:,} members"
    )
    print(how, file=ctx.err)
    return 0
