"""`audience-tui accounts add|list|test|probe|remove`: keep several accounts per platform, safely.

Secrets are read from a hidden prompt, from stdin (`--secret-stdin`, one per line) or from the
account's environment variable, never from argv; non-secret settings come from `--set KEY=VALUE`
or a visible prompt. `add` checks the credentials with one cheap real call before saving.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from ..core.accounts import DEMO_PREFIX, credential_specs
from ..core.errors import AudienceError, AuthError, ForbiddenError, ValidationError
from ..core.models import Account, CredentialSpec
from ..core.platforms import NAMES, verify
from ..core.platforms import title as platform_title
from ..core.probe import probe, write_report
from ..core.redact import redact
from ..core.sanitize import clean
from ..core.secret_store import env_var
from .arg_types import writable_file
from .context import Context
from .output import add_format_option, emit

ADD_HELP = """\
Each platform asks for what it needs: Heyloyalty an API key and secret; Emma an account id, public
and private key; Ownpage a client and API key; Kajabi a client id and secret; Placewise a token,
customer and product name. Secrets are asked for without echo, or read one per line from stdin with
--secret-stdin, or taken from the environment variable AUDIENCE_TUI_SECRETS_<NAME> (a JSON object)
when it is set. They are kept in the OS keyring; where there is none, use that variable or
--secrets-file (a file only you can read).

examples:
  audience-tui accounts add heyloyalty shop-oslo
  printf '%s\\n%s\\n' "$PUBLIC" "$PRIVATE" | \\
      audience-tui accounts add emma staging --set account_id=1234 --secret-stdin
  audience-tui accounts add kajabi academy --base-url https://proxy.example.com/kajabi
"""


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "accounts",
        help="add, list, test and remove accounts",
        description="Manage the accounts audience-tui works with (secrets stay in the keyring).",
    )
    actions = parser.add_subparsers(dest="accounts_action", metavar="ACTION", required=True)

    p = actions.add_parser(
        "add",
        help="add an account (verifies it first)",
        description="Add an account; its credentials are checked with one cheap call first.",
        epilog=ADD_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("platform", choices=NAMES)
    p.add_argument("name", help="letters, digits, '-', '_' or '.'; demo-* is reserved")
    p.add_argument(
        "--base-url",
        help="another host: regional, proxy or sandbox (https; http on loopback only)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="settings",
        help="a non-secret setting, e.g. account_id=1234 for Emma (asked for when missing)",
    )
    p.add_argument(
        "--secret-stdin",
        action="store_true",
        help="read the secrets from stdin, one per line, in the order the platform lists them",
    )
    p.add_argument("--no-verify", action="store_true", help="save without checking")
    p.add_argument(
        "--secrets-file",
        action="store_true",
        help="keep the secrets in a file only you can read (mode 0600) instead of the keyring",
    )
    p.set_defaults(func=run_add)

    p = actions.add_parser(
        "list",
        help="the accounts and their platforms (never secrets)",
        description="List the accounts (with --demo: the sandbox's demo accounts).",
    )
    add_format_option(p)
    p.set_defaults(func=run_list)

    p = actions.add_parser(
        "test",
        help="check that accounts' credentials still work",
        description="Check accounts' credentials with one cheap call each (all when none named).",
    )
    p.add_argument("names", nargs="*", metavar="NAME")
    p.set_defaults(func=run_test)

    p = actions.add_parser(
        "probe",
        help="check the adapter's assumptions on a live account (reads only)",
        description="Run read-only checks of each assumption the adapter makes where the "
        "platform's documents are silent, and say for each: confirmed, contradicted or could "
        "not check, with the evidence. Writes a redacted JSON report (no secret, no member "
        "data beyond counts) to attach to a bug report.",
    )
    p.add_argument("name")
    p.add_argument(
        "--output", type=writable_file, metavar="FILE", help="where to write the JSON report"
    )
    p.set_defaults(func=run_probe)

    p = actions.add_parser(
        "remove",
        help="remove an account and its secrets",
        description="Forget an account and delete its secrets from the keyring or secrets file.",
    )
    p.add_argument("name")
    p.set_defaults(func=run_remove)


async def run_add(args: argparse.Namespace, ctx: Context) -> int:
    store = ctx.store
    specs = credential_specs(args.platform)
    account = Account(args.name, args.platform, args.base_url, _settings(args.settings, specs))
    store.check(account, {}, only=("name", "base_url"))  # before anyone types a secret
    if not args.secrets_file:
        store.vault.check_keyring(account.name)
    account = _complete(account, specs, ctx, interactive=not args.secret_stdin)
    secrets = store.vault.from_environment(account.name)
    if secrets is not None:
        ctx.err.write(f"using the secrets in {env_var(account.name)}\n")
    else:
        secrets = _read_secrets(specs, ctx, from_stdin=args.secret_stdin)
    account, secrets = store.check(account, secrets)
    title = platform_title(account.platform)
    if not args.no_verify:
        transport = ctx.sandbox.transport if ctx.demo else None
        try:
            await verify(account, secrets, transport=transport)
        except AudienceError as exc:
            hint = "" if exc.exit_code == AuthError.exit_code else " (--no-verify skips the check)"
            ctx.err.write(f"error: {_failure(account, title, exc)}; nothing was saved{hint}\n")
            return exc.exit_code
    where = store.add(account, secrets, secrets_file=args.secrets_file)
    ctx.out.write(f"added {account.name} ({title}); its secrets are in {where}\n")
    return 0


async def run_list(args: argparse.Namespace, ctx: Context) -> int:
    accounts = _demo_accounts() if ctx.demo else {a.name: (a, None) for a in ctx.store.accounts()}
    if not accounts:
        ctx.err.write(
            "no accounts yet: add one with `audience-tui accounts add PLATFORM NAME`, "
            "or try the demo accounts with --demo\n"
        )
    rows = [
        {
            "name": account.name,
            "platform": platform_title(account.platform),
            "host": account.base_url or "(the platform's own)",
        }
        for account, _ in accounts.values()
    ]
    emit(
        rows,
        args.format,
        ctx.out,
        columns=["name", "platform", "host"],
        formula_guard=args.formula_guard,
    )
    return 0


async def run_test(args: argparse.Namespace, ctx: Context) -> int:
    known = _demo_accounts() if ctx.demo else {}
    names = args.names or list(known) or ctx.store.names()
    if not names:
        ctx.err.write("no accounts to test: add one with `audience-tui accounts add`\n")
        return 0
    pairs = [known.get(name) or (ctx.store.get(name), None) for name in names]
    transport = ctx.sandbox.transport if ctx.demo else None

    async def one(account: Account, secrets: Mapping[str, str] | None) -> AudienceError | None:
        try:
            if secrets is None:
                secrets = ctx.store.secrets(account)
            await verify(account, secrets, transport=transport)
        except AudienceError as exc:
            return exc
        return None

    results = await asyncio.gather(*(one(account, secrets) for account, secrets in pairs))
    code = 0
    for (account, _), error in zip(pairs, results, strict=True):
        title = platform_title(account.platform)
        if error is None:
            ctx.out.write(f"ok      {account.name} ({title})\n")
        else:
            ctx.out.write(f"FAILED  {_failure(account, title, error)}\n")
            code = code or error.exit_code
    return code


async def run_probe(args: argparse.Namespace, ctx: Context) -> int:
    report = await probe(ctx.session, args.name)
    title = platform_title(report.platform)
    ctx.out.write(f"{report.account} ({title}): {len(report.checks)} assumption(s) checked\n")
    for check in report.checks:
        ctx.out.write(f"{check.verdict.upper():<16}{clean(check.assumption)}\n")
        ctx.out.write(f"{'':16}{clean(check.evidence)}\n")
    counts = ", ".join(f"{n} {verdict}" for verdict, n in report.counts().items())
    path = write_report(report, args.output)
    ctx.out.write(f"{counts}; report: {path}\n")
    return 0


async def run_remove(args: argparse.Namespace, ctx: Context) -> int:
    if args.name.startswith(DEMO_PREFIX):
        raise ValidationError(f"{args.name!r} is a built-in demo account; it cannot be removed")
    ctx.store.remove(args.name)
    ctx.out.write(f"removed {args.name} and its stored secrets\n")
    if ctx.store.vault.in_environment(args.name):
        ctx.err.write(f"note: {env_var(args.name)} is still set in your environment\n")
    return 0


def _settings(pairs: Sequence[str], specs: Sequence[CredentialSpec]) -> dict[str, str]:
    """`--set KEY=VALUE` values; a secret given this way is refused (argv is not private)."""
    by_key = {spec.key: spec for spec in specs}
    settings: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        spec = by_key.get(key.strip())
        if not sep or spec is None:
            keys = ", ".join(s.key for s in specs if not s.secret) or "none"
            raise ValidationError(f"--set expects KEY=VALUE with KEY one of: {keys}")
        if spec.secret:
            raise ValidationError(
                f"{spec.label} is a secret: give it at the prompt or with --secret-stdin, "
                "never on the command line"
            )
        settings[spec.key] = value
    return settings


def _complete(
    account: Account, specs: Sequence[CredentialSpec], ctx: Context, *, interactive: bool
) -> Account:
    """`account` with every non-secret setting it lacks asked for (visibly) or refused."""
    settings = dict(account.settings)
    for spec in specs:
        if spec.secret or settings.get(spec.key) or not spec.required:
            continue
        line = ""
        if interactive:
            ctx.err.write(f"{spec.label}: ")
            ctx.err.flush()
            line = ctx.stdin.readline().strip()
        if not line:
            raise ValidationError(f"{spec.label} is required: pass --set {spec.key}=VALUE")
        settings[spec.key] = line
    return Account(account.name, account.platform, account.base_url, settings)


def _read_secrets(
    specs: Sequence[CredentialSpec], ctx: Context, *, from_stdin: bool
) -> dict[str, str]:
    secret_specs = [spec for spec in specs if spec.secret]
    if not from_stdin:
        return {spec.key: ctx.prompt_secret(spec.label) for spec in secret_specs}
    secrets = {}
    for spec in secret_specs:
        line = ctx.stdin.readline()
        if not line:
            labels = ", ".join(s.label for s in secret_specs)
            raise ValidationError(f"--secret-stdin expects one line per secret: {labels}")
        secrets[spec.key] = line.rstrip("\r\n")
    return secrets


def _failure(account: Account, title: str, error: AudienceError) -> str:
    """What went wrong with an account's credentials, naming the platform; never a secret."""
    if isinstance(error, AuthError | ForbiddenError):
        what = f"{title} refused the credentials of {account.name!r}"
    else:
        what = f"could not check {account.name!r} on {title}"
    detail = ": ".join(part for part in (error.request, error.detail) if part)
    return redact(f"{what} ({detail})")


def _demo_accounts() -> dict[str, tuple[Account, dict[str, str]]]:
    from ..demo import demo_accounts

    return {account.name: (account, secrets) for account, secrets in demo_accounts()}
