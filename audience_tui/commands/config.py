"""`audience-tui config path|show` and `audience-tui keys`: where the settings are, what is in
effect, and every key binding by id, as remapped by the settings' [keys] table."""

from __future__ import annotations

import argparse
from typing import Any

from ..core.settings import Problem, load, settings_path, show
from .context import Context
from .output import add_format_option, emit

CONFIG_HELP = """\
The settings file is TOML; every setting is optional. A bad value or unknown key is reported with
its line and the default is used, so the app always starts.

  theme = "textual-light"            # any of Textual's themes (ctrl+p "Theme: ..." in the app)
  default_account = "shop-emma"      # open its lists at launch
  prefetch = 2                       # pages fetched ahead of the table's cursor (0-10)
  request_timeout = 20               # seconds (1-600)
  audit_file = "~/audit/audience-tui.jsonl"
  confirm_bulk_opt_out = true        # false: several people are opted out without asking

  [keys]                             # binding id = key or [keys]; ids: `audience-tui keys`
  "table.opt_out" = "u"
  "app.lookup" = ["slash", "f3"]
"""


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "config",
        help="where the settings file is and what is in effect",
        description="The settings file and the settings in effect (no secret is ever in it).",
        epilog=CONFIG_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)
    actions.add_parser("path", help="print the settings file's path").set_defaults(func=run_path)
    actions.add_parser(
        "show", help="print the effective settings, with any problem in the file"
    ).set_defaults(func=run_show)

    keys = sub.add_parser(
        "keys",
        help="every key binding by id, as remapped in the settings",
        description="Every binding id with its key(s) now and by default. Remap one in the "
        'settings file\'s [keys] table, e.g. "table.opt_out" = "u".',
    )
    add_format_option(keys)
    keys.set_defaults(func=run_keys)


def _all_problems() -> tuple[Any, list[Problem]]:
    from ..tui.actions import keymap_problems

    loaded = load()
    return loaded, [*loaded.problems, *keymap_problems(loaded)]


async def run_path(args: argparse.Namespace, ctx: Context) -> int:
    print(settings_path(), file=ctx.out)
    return 0


async def run_show(args: argparse.Namespace, ctx: Context) -> int:
    loaded, problems = _all_problems()
    ctx.out.write(show(loaded, problems))
    return 0


async def run_keys(args: argparse.Namespace, ctx: Context) -> int:
    from ..tui.actions import key_entries

    loaded, problems = _all_problems()
    for problem in problems:
        print(f"warning: {problem}", file=ctx.err)
    rows = [
        {
            "id": entry.id,
            "keys": entry.keys,
            "default": entry.default,
            "action": entry.description,
            "where": entry.owner,
        }
        for entry in key_entries(loaded.settings.keys)
    ]
    emit(rows, args.format, ctx.out, formula_guard=args.formula_guard)
    return 0
