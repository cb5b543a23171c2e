"""Compliance subcommands: suppress (a list of emails opted out everywhere), erase, subject-access
and drift. The work is in core.compliance; here are the prompts, progress and printing.

Every run shows its dry run first; writes need --yes or an interactive yes; every write is in the
audit file, and each run leaves a receipt (JSON Lines and a CSV twin).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from ..core.compliance import Search, WriteError, drift, refused, subject_access
from ..core.compliance import erase as erasure
from ..core.compliance import suppress as suppression
from ..core.compliance.emails_csv import EmailList, read_emails
from ..core.compliance.journal import Journal, run_key
from ..core.compliance.receipt import (
    default_path,
    in_words,
    readable,
    summary,
    undone,
    write_receipt,
)
from ..core.errors import AudienceError, NotFoundError, ValidationError, exit_code_of
from ..core.private_files import open_private
from ..core.sanitize import clean
from .arg_types import new_file, receipt_file
from .context import Context
from .output import add_format_option, emit
from .writes import confirm

MAX_PROBLEMS_SHOWN = 50


def register(sub: Any) -> None:
    p = sub.add_parser(
        "suppress",
        help="opt every email of a CSV file out, on every account",
        description="Look every email of FILE up on every account (or those named), show what "
        "would be done, then opt out everyone still subscribed. The run is journalled: stopped "
        "(Ctrl-C, crash, network loss), the same command resumes it and never sends a write "
        "twice. A receipt (JSONL and CSV) records every email x account x list.",
        epilog="FILE: an `email` column, or a file of one column; `,` `;` or tab; UTF-8 "
        "(a BOM is fine). Example: audience-tui --demo suppress bounces.csv --dry-run",
    )
    p.add_argument("file", type=Path)
    add_common(p)
    p.add_argument(
        "--fresh",
        action="store_true",
        help="forget an earlier run of the same file and check everything again",
    )
    p.set_defaults(func=run_suppress)

    p = sub.add_parser(
        "erase",
        help="erase a person on every account (right to be forgotten), with a receipt",
        description="Look EMAIL up on every account (or those named), show what each holds and "
        "what its erase will do (saying where that is only assumed from the documents), then "
        "erase it with each platform's own erase and read back to prove it. Irreversible.",
        epilog="Example: audience-tui --demo erase someone@example.com --dry-run",
    )
    p.add_argument("email")
    add_common(p)
    p.set_defaults(func=run_erase)

    p = sub.add_parser(
        "subject-access",
        help="everything every account holds on one person (GDPR Art. 15)",
        description="Gather every list, field (with its label), status, consent and date every "
        "account holds on EMAIL: JSON for machines, Markdown or HTML for the person. The audit "
        "file records that a report was made.",
        epilog="Example: audience-tui --demo subject-access someone@example.com --format html "
        "--output report.html",
    )
    p.add_argument("email")
    p.add_argument("--account", action="append", metavar="NAME", help="only this account")
    p.add_argument("--format", choices=subject_access.FORMATS, default="json")
    p.add_argument(
        "--output", type=new_file, metavar="PATH", help="a new file to write (default: stdout)"
    )
    p.set_defaults(func=run_subject_access)

    p = sub.add_parser(
        "drift",
        help="people opted out on one platform or list and still subscribed on another",
        description="Read every list's opted-out members (server-side where the platform can, "
        "scanning elsewhere), look each of them up on every account and show where they are "
        "still subscribed. With --apply, opt them out there through the suppression run "
        "(dry run, journal, receipt).",
        epilog="Example: audience-tui --demo drift --format csv > drift.csv",
    )
    add_common(p)
    add_format_option(p)
    p.add_argument(
        "--apply", action="store_true", help="opt the drifted people out where still subscribed"
    )
    p.set_defaults(func=run_drift)


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--account", action="append", metavar="NAME", help="only this account")
    p.add_argument("--dry-run", action="store_true", help="show what would be done, send nothing")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument(
        "--receipt", type=receipt_file, metavar="PATH", help="where to write the receipt (.jsonl)"
    )


class ProgressLine:
    """A progress line on stderr: redrawn in place on a terminal, at most ten times a second;
    elsewhere (a log, a pipe) one line as each stage starts and one as it ends."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.tty = err.isatty()
        self._shown = 0.0
        self._last: tuple[str, bool] | None = None

    def __call__(self, p: suppression.Progress) -> None:
        if not p.total:
            return  # nothing to do in this stage (all of it done by an earlier run)
        ended = p.done >= p.total
        if not self.tty:
            if (p.stage, ended) != self._last:
                self._last = (p.stage, ended)
                print(f"{p.stage}: {p.done:,} of {p.total:,}", file=self.err)
            return
        now = time.monotonic()
        if not ended and now - self._shown < 0.1:
            return
        self._shown = now
        share = p.done / p.total if p.total else 1.0
        bar = "#" * int(share * 30)
        self.err.write(f"\r{p.stage[:40]:<11} [{bar:<30}] {p.done:,}/{p.total:,}\x1b[K")
        if ended:
            self.err.write("\n")
        self.err.flush()


def show_problems(emails: EmailList, err: TextIO) -> None:
    for line in emails.problem_lines(MAX_PROBLEMS_SHOWN):
        print(line, file=err)


def show_plan(todo: suppression.Plan, out: TextIO) -> None:
    """The dry run: every membership found, its status and what will be done; who is nowhere."""
    rows = todo.rows()
    if rows:
        emit(in_words(rows), "table", out)
    nowhere = todo.nowhere
    if nowhere:
        print(f"not found in any account searched: {len(nowhere)}", file=out)
        for email in nowhere[:MAX_PROBLEMS_SHOWN]:
            print(f"  {clean(email)}", file=out)
        if len(nowhere) > MAX_PROBLEMS_SHOWN:
            print(f"  ... and {len(nowhere) - MAX_PROBLEMS_SHOWN} more", file=out)


def chosen_accounts(ctx: Context, names: list[str] | None) -> list[str]:
    session = ctx.session
    return [session.account(a).name for a in names or []] or [a.name for a in session.accounts]


async def run_suppress(args: argparse.Namespace, ctx: Context) -> int:
    emails = read_emails(args.file)
    print(f"{clean(args.file.name)}: {emails.summary()}", file=ctx.err)
    show_problems(emails, ctx.err)
    accounts = chosen_accounts(ctx, args.account)
    return await suppress_emails(ctx, args, "suppress", emails.emails, accounts, args.file.name)


async def suppress_emails(
    ctx: Context,
    args: argparse.Namespace,
    kind: str,
    emails: list[str],
    accounts: list[str],
    source: str,
) -> int:
    """The suppression run over `emails` (dry run, confirmation, journal, receipt), as
    `suppress` runs it for a file and `drift --apply` for the drifted people."""
    session = ctx.session
    request = run_key(kind, emails, accounts)
    journal = Journal.for_run(request)
    if getattr(args, "fresh", False) and journal.path.exists():
        journal.path.unlink()
        journal = Journal.for_run(request)
    if journal.resumed:
        print(f"resuming the run started {journal.started} ({journal.path})", file=ctx.err)
    progress = ProgressLine(ctx.err)
    todo = await suppression.plan(session, request, emails, accounts, journal, progress)
    show_plan(todo, ctx.out)
    sends = len(todo.targets)
    print(
        f"{sends} opt-out(s) to send for {len({t.email.casefold() for t in todo.targets})} "
        f"email(s) on {len(accounts)} account(s)"
        + (
            f"; {todo.done_before} email x account pair(s) done by an earlier run"
            if todo.done_before
            else ""
        ),
        file=ctx.out,
    )
    if args.dry_run:
        print("dry run: nothing sent", file=ctx.out)
        # as `optout --dry-run`: a lookup that failed leaves the answer incomplete (3 or 4)
        return exit_code_of(todo.unsearched) if todo.unsearched else 0
    if todo.nothing_to_send:
        reason = (
            f"every email of this {'file' if kind == 'suppress' else 'request'} was handled "
            "by an earlier run"
            if todo.done_before
            else "no one found is still subscribed"
        )
        print(f"nothing to send: {reason}", file=ctx.out)
    elif not confirm(ctx, f"Opt out {sends} membership(s)?", args.yes):
        print("cancelled: nothing sent", file=ctx.out)
        return 1
    session.audit.record(
        f"{kind}.start",
        request=request,
        source=source,
        emails=len(emails),
        accounts=accounts,
        sends=sends,
    )
    try:
        await suppression.execute(session, todo, journal, progress)
    except asyncio.CancelledError:
        print(
            f"\nstopped: the outcomes so far are in {journal.path}; run the same command to "
            "resume (no write is sent twice)",
            file=ctx.err,
        )
        session.audit.record(f"{kind}.stopped", request=request)
        raise
    return finish(ctx, args.receipt, kind, todo, journal, source)


def finish(
    ctx: Context,
    where: Path | None,
    kind: str,
    todo: suppression.Plan,
    journal: Journal,
    source: str,
) -> int:
    """Write the run's receipt (every email x account, those not searched too) and say where;
    the exit code, as `optout`'s: 3 or 4 (core.errors.exit_code_of over the failed lookups and
    writes, `todo.unsearched` and `todo.write_errors`) when a lookup or a write failed or a
    write was not confirmed, else 0."""
    request, unsearched = todo.request, todo.unsearched
    lines = suppression.receipt_lines(todo, journal)
    path, twin = write_receipt(
        where or default_path(kind),
        lines,
        summary(
            request,
            lines,
            kind=kind,
            source=source,
            accounts=todo.accounts,
            started=journal.started,
        ),
    )
    failed = undone(lines)
    unconfirmed = sum(1 for ln in lines if ln["action"] == "sent" and not ln["confirmed"])
    ctx.session.audit.record(
        f"{kind}.finished",
        request=request,
        receipt=str(path),
        failed=failed,
        not_searched=len(unsearched),
        unconfirmed=unconfirmed,
    )
    print(f"receipt: {path} (and {twin.name})", file=ctx.out)
    if failed or unconfirmed:
        print(
            f"{failed} failed, {unconfirmed} not confirmed by read-back; run the same command "
            "again to retry the failed ones",
            file=ctx.err,
        )
        say_refused(todo.write_errors, ctx.err)
    if failed or unconfirmed or unsearched:
        return incomplete_code(unsearched, todo.write_errors)
    return 0


def incomplete_code(lookups: Iterable[AudienceError], writes: Sequence[WriteError]) -> int:
    """3 or 4 (core.errors.exit_code_of) over the failed lookups and writes: 3 when an account
    refused the credentials for either."""
    return exit_code_of([*lookups, *(error for _, error in writes)])


def say_refused(errors: Sequence[WriteError], err: TextIO) -> None:
    """Name each account that refused the credentials for a write (the lookup answered): its
    writes fail until the user fixes them, however often the command runs again."""
    for account, error in refused(errors).items():
        print(
            f"{account} refused the credentials ({clean(error)}): fix them, then run the same "
            "command again",
            file=err,
        )


def show_erase_plan(todo: erasure.ErasePlan, out: TextIO, err: TextIO) -> None:
    for name, error in todo.errors.items():
        print(f"{name}: lookup failed: {clean(error)}", file=err)
    rows = [{k: v for k, v in row.items() if k != "assumed"} for row in todo.rows()]
    if rows:
        emit(in_words(rows), "table", out)
    for held in {h.account: h for h in todo.held if h.method}.values():
        method = held.method
        assert method is not None
        print(f"{held.account}: {method.request}: {method.effect}", file=out)
        if method.assumed:
            print(f"{held.account}: ASSUMED, not documented: {method.assumed}", file=out)
    if todo.not_found:
        print(f"not found on: {', '.join(todo.not_found)}", file=out)


def confirm_erase(ctx: Context, email: str, assume_yes: bool) -> bool:
    """--yes, or the email typed again at a terminal: an erase cannot be undone."""
    if assume_yes:
        return True
    if not ctx.stdin.isatty():
        raise ValidationError("not confirmed: pass --yes to erase without a terminal")
    ctx.out.write(f"This cannot be undone. Type {email} to erase it: ")
    ctx.out.flush()
    return ctx.stdin.readline().strip().casefold() == email.strip().casefold()


async def run_erase(args: argparse.Namespace, ctx: Context) -> int:
    session = ctx.session
    accounts = [session.account(a).name for a in args.account or []] or None
    todo = await erasure.plan(session, args.email, accounts)
    show_erase_plan(todo, ctx.out, ctx.err)
    if args.dry_run:
        print("dry run: nothing erased", file=ctx.out)
        return searched_code(todo, ctx.err)
    if todo.held and not confirm_erase(ctx, todo.email, args.yes):
        print("cancelled: nothing erased", file=ctx.out)
        return 1
    details = {"kind": "erase", "email": todo.email, "accounts": todo.accounts}
    try:
        lines = await erasure.execute(session, todo, ProgressLine(ctx.err))
    except asyncio.CancelledError:  # ctrl+c: what was erased still gets its receipt
        path = file_erase_receipt(ctx, args.receipt, todo.stopped_lines(), todo.request, details)
        print(
            f"\nstopped: what was done is in {path}; run the same erase again to finish",
            file=ctx.err,
        )
        raise
    for row in readable(lines, todo.names):
        where = f"{row['account']} ({row['list']})" if row["list"] else row["account"]
        if row["action"] == "erased":
            print(f"{where}: erased ({row['proof']})", file=ctx.out)
        elif row["action"] == "failed":
            print(f"{where}: NOT erased: {clean(row['proof'])}", file=ctx.err)
    say_refused(todo.write_errors, ctx.err)
    file_erase_receipt(ctx, args.receipt, lines, todo.request, details)
    if any(ln["action"] == "failed" for ln in lines):  # an erase that failed
        return incomplete_code(todo.errors.values(), todo.write_errors)
    return searched_code(todo, ctx.err)


def searched_code(search: Search[Any], err: TextIO) -> int:
    """The exit code of a search of one person, as `lookup` and `optout` give it: 3 or 4
    (core.errors.exit_code_of) when an account could not be searched (the person may be
    there), 5 (not found, said on `err`) when every account answered and none holds them,
    else 0. The receipt or report is written first either way: "nothing held" is an answer
    worth keeping."""
    if search.errors:
        return exit_code_of(search.errors.values())
    if not search.held:
        print(f"{clean(search.email)} was not found in any account searched", file=err)
        return NotFoundError.exit_code
    return 0


def file_erase_receipt(
    ctx: Context,
    where: Path | None,
    lines: list[dict[str, Any]],
    request: str,
    details: dict[str, Any],
) -> Path:
    """Write an erase's receipt, record where in the audit file, and say where."""
    path, twin = write_receipt(
        where or default_path("erase"), lines, summary(request, lines, **details)
    )
    ctx.session.audit.record("erase.receipt", request=request, receipt=str(path))
    print(f"receipt: {path} (and {twin.name})", file=ctx.out)
    return path


async def run_subject_access(args: argparse.Namespace, ctx: Context) -> int:
    session = ctx.session
    accounts = [session.account(a).name for a in args.account or []] or None
    report = await subject_access.gather(session, args.email, accounts)
    for name, error in report.errors.items():
        print(f"{name}: could not search: {clean(error)}", file=ctx.err)
    text = subject_access.render(report, args.format)
    if args.output is None:
        ctx.out.write(text + "\n")
    else:
        with open_private(args.output, exclusive=True) as handle:  # never replaces a file
            handle.write(text + "\n")
        print(f"{len(report.held)} record(s) written to {args.output}", file=ctx.err)
    return searched_code(report, ctx.err)


async def run_drift(args: argparse.Namespace, ctx: Context) -> int:
    accounts = chosen_accounts(ctx, args.account)
    drifted = await drift.find(ctx.session, accounts, ProgressLine(ctx.err))
    out = ctx.err if args.apply else ctx.out
    emit([d.row() for d in drifted], args.format, out, columns=drift.COLUMNS)
    print(f"{len(drifted)} drifted email(s)", file=ctx.err)
    if not args.apply or not drifted:
        return 0
    emails = [d.email for d in drifted]
    return await suppress_emails(ctx, args, "drift", emails, accounts, "drift")
