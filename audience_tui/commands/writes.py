"""Subcommands that change data: optout, import, and imports (watching them finish).

A write needs a confirmation: an interactive yes, or --yes. Without a terminal and without --yes
nothing is sent. Every attempt and its outcome is in the audit file.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..core import deadlines
from ..core.audit import AuditWriteError
from ..core.compliance.lists import ListNames
from ..core.csvimport import mapping_with, plan_import, read_csv
from ..core.errors import (
    AudienceError,
    NotFoundError,
    UnsupportedError,
    ValidationError,
    exit_code_of,
)
from ..core.importer import FINAL, follow, opted_out_rows, refused, start_import, started_imports
from ..core.models import ImportJob, ImportState, Member, MemberStatus, row_email
from ..core.sanitize import clean
from ..core.session import LookupResult
from .context import Context
from .output import add_format_option, emit, status_word

POLL_SECONDS = 5.0


def register(sub: Any) -> None:
    p = sub.add_parser(
        "optout",
        help="opt a member out, everywhere or in one account",
        description="Opt EMAIL out of every list it is on (or those of one "
        "account). Each opt-out is verified by reading the member back and is "
        "recorded in the audit file.",
    )
    p.add_argument("email")
    p.add_argument("--account", action="append", metavar="NAME", help="only this account")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--dry-run", action="store_true", help="show what would be done, send nothing")
    p.add_argument(
        "--disable-email-channel",
        action="store_true",
        help="where the platform has one (Placewise), also disable the email channel: this "
        "stops transactional mail too (receipts, password resets)",
    )
    p.set_defaults(func=run_optout)

    p = sub.add_parser(
        "imports",
        help="an account's imports and their status",
        description="List an account's bulk imports with their counts.",
    )
    p.add_argument("account")
    p.add_argument(
        "--watch",
        action="store_true",
        help=f"refresh every {POLL_SECONDS:.0f}s until every import has finished",
    )
    add_format_option(p)
    p.set_defaults(func=run_imports)

    p = sub.add_parser(
        "import",
        help="import members into a list from a CSV file",
        description="Import FILE (CSV with a header line) into LIST. Columns are "
        "matched to the list's fields by name; rows that would be rejected are "
        "shown before anything is sent.",
    )
    p.add_argument("account")
    p.add_argument("list")
    p.add_argument("file", type=Path)
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="map a CSV column to a field (repeatable; added to the columns matched by name)",
    )
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--dry-run", action="store_true", help="check the file, send nothing")
    p.add_argument("--no-wait", action="store_true", help="do not wait for the import to finish")
    p.add_argument(
        "--resubscribe",
        action="store_true",
        help="also send the rows of members who opted out earlier, which may subscribe them "
        "again (asked for separately); by default they are kept out",
    )
    p.add_argument(
        "--trigger-optin",
        action="store_true",
        help="let the platform send its opt-in mail to imported members (Heyloyalty; "
        "off by default)",
    )
    p.add_argument(
        "--trigger-autoresponder",
        action="store_true",
        help="let the platform's autoresponders fire for imported members (Heyloyalty; "
        "off by default)",
    )
    p.set_defaults(func=run_import)


def confirm(ctx: Context, question: str, assume_yes: bool) -> bool:
    if assume_yes:
        return True
    if not ctx.stdin.isatty():
        raise ValidationError("not confirmed: pass --yes to act without a terminal")
    ctx.out.write(f"{question} [y/N] ")
    ctx.out.flush()
    return ctx.stdin.readline().strip().lower() in ("y", "yes")


def unsearched(results: Sequence[LookupResult], ctx: Context) -> list[AudienceError]:
    """The failures of accounts that could not be searched, each said on stderr: the person
    may well be there, so a command never reads their silence as "not found"."""
    failures = [r for r in results if r.error is not None]
    for result in failures:
        print(f"{result.account.name}: could not be searched: {result.error}", file=ctx.err)
    return [r.error for r in failures if r.error is not None]


def incomplete(
    failures: Sequence[AudienceError],
    email: str,
    ctx: Context,
    also: Sequence[AudienceError] = (),
) -> int:
    """Exit code 3 or 4 (core.errors.exit_code_of, over `failures` and `also`, the opt-outs
    that failed) after saying the search was incomplete."""
    print(
        f"{len(failures)} account(s) could not be searched: {clean(email)} may be there; "
        "run the same command again once they answer",
        file=ctx.err,
    )
    return exit_code_of([*failures, *also])


async def run_optout(args: argparse.Namespace, ctx: Context) -> int:
    until = ctx.started + deadlines.LOOKUP
    results = await ctx.session.lookup(args.email, args.account, until=until)
    failures = unsearched(results, ctx)
    names = await list_names(ctx, [r.account.name for r in results if r.members], until)

    def where(account: str, member: Member) -> str:
        return f"{account} list {clean(names.name(account, member.audience_id))!r}"

    targets: list[tuple[str, Member]] = []
    for result in results:
        for member in result.members:
            if member.status is MemberStatus.OPTED_OUT:
                print(f"{where(result.account.name, member)}: already opted out", file=ctx.out)
            else:
                targets.append((result.account.name, member))
    if not targets:
        if failures:
            return incomplete(failures, args.email, ctx)
        if any(r.members for r in results):
            return 0
        raise NotFoundError(f"{args.email} was not found in any account searched")
    for account, member in targets:
        print(
            f"will opt out {clean(member.email)} ({clean(member.name)}) on "
            f"{where(account, member)}, status now {status_word(member.status, 'table')}",
            file=ctx.out,
        )
        if args.disable_email_channel:
            choice = ctx.session.provider(account).capabilities.opt_out_channel
            print(
                f"  and {choice}" if choice else "  (no separate email channel to disable here)",
                file=ctx.out,
            )
    if args.dry_run:
        for account, member in targets:
            await ctx.session.opt_out(account, member, dry_run=True)
        print("dry run: nothing sent", file=ctx.out)
        return incomplete(failures, args.email, ctx) if failures else 0
    if not confirm(ctx, f"Opt out {clean(args.email)} from {len(targets)} list(s)?", args.yes):
        print("cancelled: nothing sent", file=ctx.out)
        return 1
    channel = args.disable_email_channel
    outcomes = await asyncio.gather(
        *(ctx.session.opt_out(a, m, disable_channel=channel) for a, m in targets),
        return_exceptions=True,  # one unrecordable outcome must not hide (or cancel) the others
    )
    errors: list[AudienceError] = []
    unrecorded: list[AuditWriteError] = []
    for outcome in outcomes:
        if isinstance(outcome, AuditWriteError):  # it says what was sent, or that nothing was
            unrecorded.append(outcome)
            print(f"error: {outcome}", file=ctx.err)
            continue
        if isinstance(outcome, BaseException):
            raise outcome
        place = where(outcome.account.name, outcome.before)
        if outcome.confirmed and outcome.after is not None:
            done = "opted out" if outcome.sent else "already opted out, nothing sent"
            status = outcome.after.platform_status or "opted out"
            print(f"{place}: {done} (read back: {status})", file=ctx.out)
        else:
            errors.append(outcome.error or AudienceError("not confirmed"))
            verdict = "UNKNOWN whether applied" if outcome.unknown else "FAILED"
            print(f"{place}: {verdict}: {outcome.error}", file=ctx.err)
    if errors:
        print(
            f"{len(errors)} opt-out(s) failed or could not be confirmed and are recorded in "
            f"{ctx.session.audit.path}; run the same command again to retry (it reads back first)",
            file=ctx.err,
        )
    if failures:
        return incomplete(failures, args.email, ctx, [*errors, *unrecorded])
    if errors:
        return exit_code_of([*errors, *unrecorded])
    return max((e.exit_code for e in unrecorded), default=0)  # 2: the audit_file setting is wrong


async def list_names(ctx: Context, accounts: Sequence[str], until: float) -> ListNames:
    """The names of `accounts`' lists, read by the lookup's deadline `until`; past it (or
    failing), lists are named by their ids rather than keeping the person waiting."""
    try:
        read = ListNames.read(ctx.session, accounts)
        return await deadlines.within(deadlines.LOOKUP, "list names", read, until=until)
    except AudienceError:
        return ListNames()


def job_row(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "state": str(job.state),
        "list": job.audience_id,
        "started": job.started_at,
        "finished": job.finished_at,
        "submitted": job.submitted,
        "added": job.added,
        "updated": job.updated,
        "skipped": job.skipped,
        "errors": job.errors,
        "note": job.note,
    }


IMPORT_COLUMNS = list(job_row(ImportJob("", ImportState.QUEUED)))


async def current_imports(ctx: Context, account: str, said: set[str]) -> list[ImportJob]:
    """The platform's list of imports, and those started from this app that it does not list
    (kept in the import journal), brought up to date; newest first. What the platform cannot
    do is said once (`said`)."""
    try:
        jobs = {job.id: job for job in await ctx.session.provider(account).imports()}
    except UnsupportedError as exc:
        jobs = {}
        if exc.detail not in said:
            said.add(exc.detail)
            detail = exc.detail.rstrip(".")
            print(f"note: {detail}; showing the imports started from this app", file=ctx.err)
    for entry in started_imports(ctx.session, account):
        if entry.job.id not in jobs:
            try:
                jobs[entry.job.id] = await follow(ctx.session, entry)
            except AudienceError as exc:  # its last known state is shown
                print(f"{clean(entry.job.id)}: {exc}", file=ctx.err)
                jobs[entry.job.id] = entry.job
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(jobs.values(), key=lambda job: job.started_at or oldest, reverse=True)


async def run_imports(args: argparse.Namespace, ctx: Context) -> int:
    said: set[str] = set()
    while True:
        jobs = await current_imports(ctx, args.account, said)
        rows = [job_row(job) for job in jobs]
        emit(rows, args.format, ctx.out, IMPORT_COLUMNS, formula_guard=args.formula_guard)
        if not jobs:
            print("no imports", file=ctx.err)
        if not args.watch or all(job.state in FINAL for job in jobs):
            return 0
        await asyncio.sleep(POLL_SECONDS)
        ctx.out.write("\n")


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        column, sep, field = pair.partition("=")
        if not sep or not column or not field:
            raise ValidationError(f"--map {pair!r}: expected COLUMN=FIELD")
        mapping[column] = field
    return mapping


async def run_import(args: argparse.Namespace, ctx: Context) -> int:
    provider = ctx.session.provider(args.account)
    audience = await ctx.session.audience(args.account, args.list)
    table = read_csv(args.file)
    for note in table.notes:
        print(f"warning: {note}", file=ctx.err)
    fields = await provider.fields(audience)
    plan = plan_import(table, fields, mapping_with(table.header, fields, _mapping(args.map)))
    mapped = ", ".join(f"{c} -> {f}" for c, f in plan.mapping.items())
    print(
        f"{len(plan.rows)} row(s) to import into {clean(audience.name)}; columns: {mapped}",
        file=ctx.out,
    )
    if plan.unmapped:
        print(f"ignored columns: {', '.join(map(clean, plan.unmapped))}", file=ctx.out)
    for row in plan.rejected:
        print(f"line {row.line}: rejected: {clean(row.reason)}", file=ctx.out)
    if not plan.rows:
        raise ValidationError("no valid row to import")
    print(  # one lookup per email on some platforms (Placewise): it can take a while
        f"checking which of the {len(plan.rows):,} row(s) opted out earlier on "
        f"{clean(audience.name)}...",
        file=ctx.err,
    )
    opted_out = await opted_out_rows(ctx.session, args.account, audience, plan.rows)
    earlier = [row for row in plan.rows if row_email(row) in opted_out]
    sending = len(plan.rows) if args.resubscribe else len(plan.rows) - len(earlier)
    if earlier:
        fate = "SENT (--resubscribe)" if args.resubscribe else "kept out"
        print(f"{len(earlier)} opted out earlier: {fate}", file=ctx.out)
    if not sending:
        raise ValidationError("every row is a member who opted out earlier: nothing to send")
    if args.dry_run:
        print("dry run: nothing sent", file=ctx.out)
        return 0
    if not confirm(ctx, f"Import {sending} row(s)?", args.yes):
        print("cancelled: nothing sent", file=ctx.out)
        return 1
    question = f"Send {len(earlier)} member(s) who opted out earlier, which may resubscribe them?"
    if args.resubscribe and earlier and not confirm(ctx, question, args.yes):
        print("cancelled: nothing sent", file=ctx.out)
        return 1
    choices = {
        "resubscribe": args.resubscribe,
        "opted_out": opted_out,
        "trigger_optin": args.trigger_optin,
        "trigger_autoresponder": args.trigger_autoresponder,
    }
    entry = await start_import(
        ctx.session, args.account, audience, plan.rows, args.file, plan.rejected, **choices
    )
    while not args.no_wait and entry.job.state not in FINAL:
        await asyncio.sleep(min(POLL_SECONDS, 1.0))
        await follow(ctx.session, entry)
    job = entry.job
    emit([job_row(job)], "table", ctx.out)
    rejected = refused(job, entry)
    if rejected:
        print(f"{len(rejected)} row(s) refused:", file=ctx.out)
    for error in rejected[:50]:
        print(f"  {clean(error.row)}: {clean(error.message)}", file=ctx.out)
    if job.note:
        print(clean(job.note), file=ctx.out)
    if job.state not in FINAL:
        print(
            f"follow it with: audience-tui {'--demo ' * ctx.demo}imports {args.account} --watch"
            " (it is kept in the import journal)",
            file=ctx.err,
        )
    return 0 if job.state is not ImportState.FAILED else 4
